using System.Text.Json.Serialization;

namespace Pipeline.Host.Jobs;

/// <summary>The body of <c>POST /v1/jobs</c>.</summary>
/// <param name="Prompt">What to build a set from, 1–2000 characters.</param>
/// <param name="TrackCount">Tracks in the set, 1–200; default: the count or duration the prompt names, else 30.</param>
/// <param name="SeedTracks">Up to 20 seeds, "Artist - Title" or a title: they open the pool and steer the search.</param>
/// <param name="Detach">Keep running when nobody listens.</param>
/// <param name="DurationMinutes">The set's length in minutes, 5–600, instead of a track count.</param>
/// <param name="Bpm">A target tempo, 40–220 BPM, over any the prompt names.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)] // a misspelt field is refused, not ignored
public sealed record JobRequest(string? Prompt, int? TrackCount = null, IReadOnlyList<string>? SeedTracks = null, bool? Detach = null, int? DurationMinutes = null, double? Bpm = null)
{
    /// <summary>What each field takes, by its JSON name: the words of a 400 that names a field.</summary>
    public static IReadOnlyDictionary<string, string> Expected { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["prompt"] = "a string of 1 to 2000 characters on one line",
        ["trackCount"] = "an integer from 1 to 200",
        ["seedTracks"] = "an array of at most 20 strings, each \"Artist - Title\" or a title",
        ["detach"] = "true or false",
        ["durationMinutes"] = "an integer from 5 to 600",
        ["bpm"] = "a number from 40 to 220",
    };

    /// <summary>Field errors by field name; empty when the request is valid.</summary>
    /// <returns>The errors.</returns>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(Prompt))
        {
            errors["prompt"] = ["The prompt is required and must not be blank."];
        }
        else if (Prompt.Length > 2000)
        {
            errors["prompt"] = [$"The prompt has {Prompt.Length} characters; at most 2000 are allowed."];
        }
        else if (Prompt.Any(char.IsControl))
        {
            errors["prompt"] = ["The prompt must be one line of text: no newlines or other control characters."];
        }

        if (TrackCount is < 1 or > 200)
        {
            errors["trackCount"] = [$"trackCount = {TrackCount} must be between 1 and 200."];
        }

        if (DurationMinutes is < 5 or > 600)
        {
            errors["durationMinutes"] = [$"durationMinutes = {DurationMinutes} must be between 5 and 600."];
        }

        if (Bpm is { } bpm && (double.IsNaN(bpm) || bpm is < 40 or > 220))
        {
            errors["bpm"] = [$"bpm = {bpm} must be between 40 and 220."];
        }

        if (SeedTracks is { Count: > 20 })
        {
            errors["seedTracks"] = [$"{SeedTracks.Count} seed tracks given; at most 20 are allowed."];
        }
        else if (SeedTracks?.Any(s => string.IsNullOrWhiteSpace(s) || s.Length > 200 || s.Any(char.IsControl)) == true)
        {
            errors["seedTracks"] = ["Each seed track must be 1–200 characters of one-line text."];
        }

        return errors;
    }
}
