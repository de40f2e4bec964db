namespace Pipeline.Stages.Music;

/// <summary>What a user asks for: "a 124 BPM sunset house set".</summary>
/// <param name="Prompt">Free text, 1–2000 characters.</param>
/// <param name="TrackCount">Tracks in the set, 1–200; null to take it from the prompt (or 30).</param>
/// <param name="SeedTracks">Optional seeds, "Artist - Title" or a title: they steer the search and open the pool.</param>
/// <param name="DurationMinutes">The set's length in minutes, instead of a count.</param>
/// <param name="Bpm">A target tempo, over any the prompt names.</param>
public sealed record SetRequest(string Prompt, int? TrackCount = null, IReadOnlyList<string>? SeedTracks = null, int? DurationMinutes = null, double? Bpm = null)
{
    /// <inheritdoc />
    public override string ToString() => Prompt.Length <= 80 ? Prompt : Prompt[..80];
}
