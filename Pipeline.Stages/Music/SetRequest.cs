namespace Pipeline.Stages.Music;

/// <summary>What a user asks for: "a 124 BPM sunset house set".</summary>
/// <param name="Prompt">Free text, 1–2000 characters.</param>
/// <param name="TrackCount">Candidate tracks wanted, 1–200.</param>
/// <param name="SeedTracks">Optional seeds, "Artist - Title" or a title.</param>
public sealed record SetRequest(string Prompt, int TrackCount = 30, IReadOnlyList<string>? SeedTracks = null)
{
    /// <inheritdoc />
    public override string ToString() => Prompt.Length <= 80 ? Prompt : Prompt[..80];
}
