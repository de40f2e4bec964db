namespace Pipeline.Sandbox.Catalog;

/// <summary>One distinct track of the sandbox catalog, with the ids the fake upstreams derive for it.</summary>
internal sealed record CatalogTrack(
    string Id,
    string? Name,
    string? Artist,
    int Popularity,
    string AlbumId,
    string? AlbumName,
    string ReleaseDate,
    IReadOnlyList<string> Genres,
    IReadOnlyList<string> Subgenres,
    double Danceability,
    double Energy,
    int Key,
    double Loudness,
    int Mode,
    double Speechiness,
    double Acousticness,
    double Instrumentalness,
    double Liveness,
    double Valence,
    double Tempo,
    int DurationMs)
{
    /// <summary>A stable, unique Deezer-style numeric id.</summary>
    public long DeezerId { get; init; }

    /// <summary>A stable, unique ISRC.</summary>
    public string Isrc { get; init; } = "";

    /// <summary>Spotify's release-date precision for <see cref="ReleaseDate"/>.</summary>
    public string ReleaseDatePrecision => ReleaseDate.Length switch
    {
        4 => "year",
        7 => "month",
        _ => "day",
    };

    /// <summary>Tags from the names of the playlists the track appears in, with the number of those playlists.</summary>
    public IReadOnlyList<(string Name, int Playlists)> Labels { get; init; } = [];

    /// <summary>
    /// Last.fm-style tags, strongest first, with counts 0–100: its subgenres and genres, the labels its playlists give it
    /// (more playlists, stronger), and mood words from its audio features.
    /// </summary>
    public IReadOnlyList<(string Name, int Count)> Tags { get; init; } = [];

    /// <summary>This track with its <see cref="Tags"/> built from its genres, labels and features.</summary>
    public CatalogTrack WithTags() => this with { Tags = BuildTags() };

    private List<(string Name, int Count)> BuildTags()
    {
        var tags = new List<(string Name, int Count)>();
        tags.AddRange(Subgenres.Select(s => (s, 100)));
        tags.AddRange(Genres.Select(g => (g == "edm" ? "electronic" : g, 90)));
        if (Subgenres.Any(s => s.Contains("house", StringComparison.Ordinal)))
        {
            tags.Add(("house", 80));
        }

        tags.AddRange(Labels.Select(l => (l.Name, Math.Min(75, 35 + (10 * l.Playlists)))));
        if (Energy > 0.8) { tags.Add(("energetic", 30)); }
        if (Energy < 0.4) { tags.Add(("chill", 30)); }
        if (Valence > 0.7) { tags.Add(("happy", 30)); }
        if (Valence < 0.3) { tags.Add(("melancholic", 30)); }
        if (Danceability > 0.75) { tags.Add(("dance", 30)); }
        return [.. tags.GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => (g.Key, g.Max(t => t.Count))).OrderByDescending(t => t.Item2)];
    }
}
