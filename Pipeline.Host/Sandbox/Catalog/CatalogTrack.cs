namespace Pipeline.Host.Sandbox.Catalog;

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

    /// <summary>Last.fm-style tags, strongest first, with counts 0–100.</summary>
    public IReadOnlyList<(string Name, int Count)> Tags()
    {
        var tags = new List<string>();
        tags.AddRange(Subgenres);
        tags.AddRange(Genres.Select(g => g == "edm" ? "electronic" : g));
        if (Subgenres.Any(s => s.Contains("house", StringComparison.Ordinal)))
        {
            tags.Add("house");
        }

        if (Energy > 0.8) { tags.Add("energetic"); }
        if (Energy < 0.4) { tags.Add("chill"); }
        if (Valence > 0.7) { tags.Add("happy"); }
        if (Valence < 0.3) { tags.Add("melancholic"); }
        if (Danceability > 0.75) { tags.Add("dance"); }
        return [.. tags.Distinct(StringComparer.Ordinal).Select((t, i) => (t, Math.Max(5, 100 - (i * 15))))];
    }
}
