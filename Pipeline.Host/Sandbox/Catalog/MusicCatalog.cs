using System.Collections.Frozen;
using System.Globalization;
using System.IO.Compression;
using CsvHelper;

namespace Pipeline.Host.Sandbox.Catalog;

/// <summary>The sandbox's music catalog: about 28k distinct real songs with audio features, loaded once.</summary>
internal sealed class MusicCatalog
{
    private readonly FrozenDictionary<string, CatalogTrack> _byId;
    private readonly FrozenDictionary<long, CatalogTrack> _byDeezerId;
    private readonly FrozenDictionary<string, CatalogTrack> _byIsrc;
    private readonly FrozenDictionary<string, CatalogTrack> _byArtistAndTitle;
    private readonly FrozenDictionary<string, CatalogTrack[]> _byArtist;

    private MusicCatalog(IReadOnlyList<CatalogTrack> tracks)
    {
        Tracks = tracks;
        _byId = tracks.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        _byDeezerId = tracks.ToFrozenDictionary(t => t.DeezerId);
        _byIsrc = tracks.ToFrozenDictionary(t => t.Isrc, StringComparer.OrdinalIgnoreCase);
        // Most popular first, so a title shared by several ids resolves to the best-known one.
        _byArtistAndTitle = tracks.Where(t => t.Artist is not null && t.Name is not null)
            .GroupBy(t => Key(t.Artist!, t.Name!), StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        _byArtist = tracks.Where(t => t.Artist is not null)
            .GroupBy(t => t.Artist!, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every track, most popular first.</summary>
    public IReadOnlyList<CatalogTrack> Tracks { get; }

    public CatalogTrack? ById(string id) => _byId.GetValueOrDefault(id);

    public CatalogTrack? ByDeezerId(long id) => _byDeezerId.GetValueOrDefault(id);

    public CatalogTrack? ByIsrc(string isrc) => _byIsrc.GetValueOrDefault(isrc);

    public CatalogTrack? ByArtistAndTitle(string artist, string title) => _byArtistAndTitle.GetValueOrDefault(Key(artist, title));

    public IReadOnlyList<CatalogTrack> ByArtist(string artist) => _byArtist.GetValueOrDefault(artist) ?? [];

    /// <summary>Loads the gzip-compressed TidyTuesday CSV: one row per playlist appearance, deduplicated by track id.</summary>
    public static MusicCatalog Load(Stream gzipCsv)
    {
        using var csv = CsvReader.Create(new GZipStream(gzipCsv, CompressionMode.Decompress), CsvReaderOptions.Default, leaveOpen: false);
        var rows = new Dictionary<string, (CatalogTrack Track, SortedSet<string> Genres, SortedSet<string> Subgenres)>(StringComparer.Ordinal);
        while (csv.Read())
        {
            var id = csv.GetString("track_id")!;
            var genre = csv.GetString("playlist_genre")!;
            var subgenre = csv.GetString("playlist_subgenre")!;
            if (rows.TryGetValue(id, out var seen))
            {
                seen.Genres.Add(genre);
                seen.Subgenres.Add(subgenre);
                continue;
            }

            var track = new CatalogTrack(
                id,
                Text(csv.GetString("track_name")),
                Text(csv.GetString("track_artist")),
                Integer(csv, "track_popularity"),
                csv.GetString("track_album_id")!,
                Text(csv.GetString("track_album_name")),
                csv.GetString("track_album_release_date")!,
                [],
                [],
                Number(csv, "danceability"),
                Number(csv, "energy"),
                Integer(csv, "key"),
                Number(csv, "loudness"),
                Integer(csv, "mode"),
                Number(csv, "speechiness"),
                Number(csv, "acousticness"),
                Number(csv, "instrumentalness"),
                Number(csv, "liveness"),
                Number(csv, "valence"),
                Number(csv, "tempo"),
                Integer(csv, "duration_ms"));
            rows.Add(id, (track, new SortedSet<string>(StringComparer.Ordinal) { genre }, new SortedSet<string>(StringComparer.Ordinal) { subgenre }));
        }

        var deezerIds = new HashSet<long>();
        var isrcs = new HashSet<string>(StringComparer.Ordinal);
        var tracks = rows.Values
            .OrderByDescending(r => r.Track.Popularity)
            .ThenBy(r => r.Track.Id, StringComparer.Ordinal)
            .Select(r => r.Track with
            {
                Genres = [.. r.Genres],
                Subgenres = [.. r.Subgenres],
                DeezerId = Unique(deezerIds, 100_000_000 + (Hash(r.Track.Id) % 900_000_000)),
                Isrc = UniqueIsrc(isrcs, r.Track),
            })
            .ToList();
        return new MusicCatalog(tracks);
    }

    /// <summary>Loads the catalog shipped with the host.</summary>
    public static MusicCatalog LoadShipped()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Sandbox", "Data", "spotify_songs.csv.gz");
        using var file = File.OpenRead(path);
        return Load(file);
    }

    private static string Key(string artist, string title) => artist + "\u001f" + title;

    // The data set writes R's NA for missing names.
    private static string? Text(string? value) => value is null or "NA" ? null : value;

    // 12,500 cells use scientific notation (2.33e-5): parsed as double with the invariant culture.
    private static double Number(CsvReader csv, string column) =>
        double.Parse(csv.GetString(column), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int Integer(CsvReader csv, string column) =>
        int.Parse(csv.GetString(column), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long Unique(HashSet<long> taken, long candidate)
    {
        while (!taken.Add(candidate))
        {
            candidate++;
        }

        return candidate;
    }

    private static string UniqueIsrc(HashSet<string> taken, CatalogTrack track)
    {
        var year = track.ReleaseDate[2..4];
        for (var n = Hash(track.Id) % 100_000; ; n = (n + 1) % 100_000)
        {
            var isrc = $"QZSBX{year}{n:D5}";
            if (taken.Add(isrc))
            {
                return isrc;
            }
        }
    }

    // FNV-1a: stable across processes, unlike string.GetHashCode.
    internal static long Hash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
