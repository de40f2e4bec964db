using Pipeline.Stages.Intent;

namespace Pipeline.Stages.Search;

/// <summary>
/// The sources a request's pool is gathered from, each with its weight in the pool: seeds and the tracks like them,
/// named artists and the artists like them, each style's Last.fm tag and Spotify genre (with the decade as Spotify's
/// <c>year:</c> filter, so a decade's tracks come from where it can be asked), then moods and free words.
/// </summary>
internal static class SearchPlan
{
    private const int MaxStyles = 3;
    private const int TagTracks = 200;
    private const int SimilarTracks = 60;

    /// <summary>The sources for <paramref name="intent"/>, each with its share of a pool of <paramref name="pool"/> in the first round.</summary>
    public static IReadOnlyList<PlannedSource> For(SetIntent intent, CandidateSources calls, int pool)
    {
        var plan = new List<(CandidateSource Source, double Weight, int? Fixed)>();
        var years = intent.YearFrom is { } from ? from == intent.YearTo ? $" year:{from}" : $" year:{from}-{intent.YearTo}" : "";
        foreach (var seed in intent.SeedTracks)
        {
            var parts = seed.Split([" - ", " – ", " — "], 2, StringSplitOptions.TrimEntries);
            var query = parts.Length == 2 ? $"artist:\"{CandidateSources.Clean(parts[0])}\" track:\"{CandidateSources.Clean(parts[1])}\"" : $"track:\"{CandidateSources.Clean(seed)}\"";
            plan.Add((new SpotifyQuerySource("seed", query, calls, maxTracks: 1), 0, 1));
            if (parts.Length == 2)
            {
                plan.Add((new LastFmTrackSource($"similar:{seed}", ct => calls.SimilarTracksAsync(parts[0], parts[1], SimilarTracks, ct), calls), 2, null));
            }
        }

        foreach (var artist in intent.Artists)
        {
            plan.Add((new SpotifyQuerySource($"artist:{artist}", $"artist:\"{CandidateSources.Clean(artist)}\"", calls), 1.5, null));
            plan.Add((new SimilarArtistsSource(artist, calls), 1.5, null));
        }

        var styles = intent.Styles.Take(MaxStyles).Select(IntentParser.StyleNamed).OfType<Style>().ToList();
        foreach (var style in styles)
        {
            if (style.SpotifyGenre is { } genre)
            {
                plan.Add((new SpotifyQuerySource($"genre:{genre}{years}".Trim(), $"genre:\"{genre}\"{years}", calls), years.Length > 0 ? 3 : 1, null));
            }

            // A tag's top tracks cannot be asked for a decade: with one asked, Spotify's year filter gathers most of the pool.
            plan.Add((Tag(style.Name, calls), years.Length > 0 && style.SpotifyGenre is not null ? 0.5 : 1.5, null));
        }

        // A tempo outside a style's usual range is where some of its subgenres live (house at 100 BPM is tropical house).
        if (intent.Tempo is { } tempo)
        {
            foreach (var living in styles.SelectMany(s => s.LivingAt((tempo.Min + tempo.Max) / 2)).Where(l => styles.All(s => s.Name != l.Name)).Distinct())
            {
                plan.Add((Tag(living.Name, calls), 1.5, null));
            }
        }

        // A narrow style's broader one (house for deep house) fills the pool where the narrow one runs short.
        foreach (var parent in styles.Select(s => s.Parent).OfType<string>().Distinct().Where(p => styles.All(s => s.Name != p)).Select(IntentParser.StyleNamed).OfType<Style>())
        {
            plan.Add((Tag(parent.Name, calls), 0.5, null));
        }

        if (styles.Count == 0)
        {
            if (years.Length > 0)
            {
                plan.Add((new SpotifyQuerySource(years.Trim(), years.Trim(), calls), 2, null));
            }

            foreach (var tag in intent.Moods.Concat(intent.Words).Take(3))
            {
                plan.Add((Tag(tag, calls), 1, null));
            }
        }
        else if (intent.Words.Count > 0)
        {
            var words = string.Join(' ', intent.Words.Take(3));
            plan.Add((new SpotifyQuerySource($"words:{words}", words, calls), 0.5, null));
        }

        if (styles.Count == 0 && intent.Artists.Count == 0 && intent.SeedTracks.Count == 0)
        {
            // A prompt naming no style still gets a danceable set: crowd-pleasers, within its decade when it names one.
            plan.Add((new SpotifyQuerySource($"genre:dance pop{years}", $"genre:\"dance pop\"{years}", calls), 1, null));
            plan.Add((Tag("dance", calls), 0.5, null));
        }

        var total = plan.Sum(p => p.Weight);
        return [.. plan.Select(p => new PlannedSource(p.Source, p.Fixed ?? Math.Max(1, (int)Math.Ceiling(pool * p.Weight / total))))];
    }

    private static LastFmTrackSource Tag(string tag, CandidateSources calls) =>
        new($"tag:{tag}", ct => calls.TagTopTracksAsync(tag, TagTracks, ct), calls);
}

/// <summary>A candidate source and the tracks it is asked for first.</summary>
internal sealed record PlannedSource(CandidateSource Source, int Share);
