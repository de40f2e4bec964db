using Pipeline.Stages.Music;

namespace Pipeline.Stages.Intent;

/// <summary>
/// What a request asks for, as understood: the styles and moods it names, a decade or year range, a tempo (target,
/// range or arc), the set's length, named artists and seed tracks, and the words that matched nothing (kept as
/// free-text search terms). Parsed deterministically from the prompt and the request's fields.
/// </summary>
/// <param name="Styles">Genres and subgenres named, most specific first (<c>hip hop</c>, <c>deep house</c>, <c>lo-fi</c>).</param>
/// <param name="Moods">Mood and occasion words (<c>dark</c>, <c>chill</c>, <c>sunset</c>, <c>party</c>).</param>
/// <param name="YearFrom">First release year asked, if any.</param>
/// <param name="YearTo">Last release year asked, if any.</param>
/// <param name="Tempo">The tempo asked, if any: a target, a range or an arc.</param>
/// <param name="Shape">The set's shape, if named: <c>warm-up</c>, <c>peak-time</c>, <c>cool-down</c>.</param>
/// <param name="TrackCount">Tracks in the set.</param>
/// <param name="DurationMinutes">The set's length in minutes, when asked as a duration.</param>
/// <param name="Artists">Artists named ("like Daft Punk and Justice").</param>
/// <param name="SeedTracks">Seed tracks, "Artist - Title" or a title.</param>
/// <param name="Words">Words understood as nothing above: free-text search terms.</param>
public sealed record SetIntent(
    IReadOnlyList<string> Styles,
    IReadOnlyList<string> Moods,
    int? YearFrom,
    int? YearTo,
    TempoCurve? Tempo,
    string? Shape,
    int TrackCount,
    int? DurationMinutes,
    IReadOnlyList<string> Artists,
    IReadOnlyList<string> SeedTracks,
    IReadOnlyList<string> Words)
{
    /// <summary>Tracks in a set when neither a count nor a duration is asked.</summary>
    public const int DefaultTrackCount = 30;

    /// <summary>The intent of <paramref name="request"/>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>What it asks for.</returns>
    public static SetIntent Of(SetRequest request) => IntentParser.Parse(request);

    /// <summary>True when a decade or year range is asked.</summary>
    public bool HasYears => YearFrom is not null;
}
