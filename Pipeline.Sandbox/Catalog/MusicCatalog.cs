using System.Collections.Frozen;
using System.Globalization;
using System.IO.Compression;
using CsvHelper;

namespace Pipeline.Sandbox.Catalog;

/// <summary>The sandbox's music catalog: about 28k distinct real songs with audio features, loaded once.</summary>
internal sealed class MusicCatalog
{
    private readonly FrozenDictionary<string, CatalogTrack> _byId;
    private readonly FrozenDictionary<long, CatalogTrack> _byDeezerId;
    private readonly FrozenDictionary<string, CatalogTrack> _byIsrc;
    private readonly FrozenDictionary<string, CatalogTrack> _byArtistAndTitle;
    private readonly FrozenDictionary<string, CatalogTrack[]> _byArtist;
    private readonly FrozenDictionary<string, CatalogTrack[]> _byTag;
    private readonly FrozenDictionary<string, CatalogTrack[]> _bySubgenre;

    private MusicCatalog(IReadOnlyList<CatalogTrack> tracks)
    {
        Tracks = tracks;
        TextIndex = new CatalogTextIndex(tracks); // with the rest, so no search waits on a build of its own
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
        // A tag's tracks, the ones it fits best first, then the most popular.
        _byTag = tracks.SelectMany(t => t.Tags.Select(tag => (tag.Name, tag.Count, Track: t)))
            .GroupBy(e => e.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(e => e.Count).Select(e => e.Track).ToArray(), StringComparer.Ordinal);
        _bySubgenre = tracks.SelectMany(t => t.Subgenres.Select(s => (Subgenre: s, Track: t)))
            .GroupBy(e => e.Subgenre, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(e => e.Track).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Every track, most popular first.</summary>
    public IReadOnlyList<CatalogTrack> Tracks { get; }

    /// <summary>The trigrams of the text a search matches, for <see cref="CatalogSearch"/> to narrow its scans.</summary>
    public CatalogTextIndex TextIndex { get; }

    public CatalogTrack? ById(string id) => _byId.GetValueOrDefault(id);

    public CatalogTrack? ByDeezerId(long id) => _byDeezerId.GetValueOrDefault(id);

    public CatalogTrack? ByIsrc(string isrc) => _byIsrc.GetValueOrDefault(isrc);

    public CatalogTrack? ByArtistAndTitle(string artist, string title) => _byArtistAndTitle.GetValueOrDefault(Key(artist, title));

    public IReadOnlyList<CatalogTrack> ByArtist(string artist) => _byArtist.GetValueOrDefault(artist) ?? [];

    /// <summary>The tracks carrying <paramref name="tag"/> (any spelling <see cref="PlaylistTags.Canonical"/> folds), strongest first.</summary>
    public IReadOnlyList<CatalogTrack> ByTag(string tag) => _byTag.GetValueOrDefault(PlaylistTags.Canonical(tag)) ?? [];

    /// <summary>
    /// Tracks like <paramref name="track"/>, closest first, with a match 0–1: shared tags (weighted by strength),
    /// the same artist and the same subgenre count; the track itself is left out.
    /// </summary>
    public IReadOnlyList<(CatalogTrack Track, double Match)> Similar(CatalogTrack track, int limit)
    {
        var profile = track.Tags.ToDictionary(t => t.Name, t => (double)t.Count, StringComparer.Ordinal);
        var candidates = track.Subgenres.SelectMany(s => _bySubgenre.GetValueOrDefault(s) ?? [])
            .Concat(track.Artist is null ? [] : ByArtist(track.Artist))
            .Where(t => !ReferenceEquals(t, track))
            .Distinct();
        return [.. candidates
            .Select(t => (Track: t, Match: Math.Round(Overlap(profile, t.Tags) * 0.8 + (t.Artist == track.Artist ? 0.2 : 0), 4)))
            .OrderByDescending(p => p.Match)
            .ThenByDescending(p => p.Track.Popularity)
            .Take(limit)];
    }

    /// <summary>Artists like <paramref name="artist"/>, closest first, by their tracks' pooled tags.</summary>
    public IReadOnlyList<(string Artist, double Match)> SimilarArtists(string artist, int limit)
    {
        var own = ByArtist(artist);
        var profile = Pooled(own);
        return [.. own.SelectMany(t => t.Subgenres).Distinct().SelectMany(s => _bySubgenre.GetValueOrDefault(s) ?? [])
            .Where(t => t.Artist is not null && !string.Equals(t.Artist, artist, StringComparison.OrdinalIgnoreCase))
            .GroupBy(t => t.Artist!, StringComparer.OrdinalIgnoreCase)
            .Select(g => (Artist: g.First().Artist!, Match: Math.Round(Overlap(profile, Pooled(g)), 4)))
            .OrderByDescending(p => p.Match)
            .ThenBy(p => p.Artist, StringComparer.Ordinal)
            .Take(limit)];
    }

    private static Dictionary<string, double> Pooled(IEnumerable<CatalogTrack> tracks) =>
        tracks.SelectMany(t => t.Tags).GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (double)g.Sum(t => t.Count), StringComparer.Ordinal);

    // Cosine similarity of two tag profiles.
    private static double Overlap(Dictionary<string, double> a, IEnumerable<(string Name, int Count)> b) =>
        Overlap(a, b.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (double)g.Max(t => t.Count), StringComparer.Ordinal));

    private static double Overlap(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        double dot = 0, na = 0, nb = 0;
        foreach (var (name, weight) in a)
        {
            na += weight * weight;
            if (b.TryGetValue(name, out var other))
            {
                dot += weight * other;
            }
        }

        foreach (var weight in b.Values)
        {
            nb += weight * weight;
        }

        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>Loads the gzip-compressed TidyTuesday CSV: one row per playlist appearance, deduplicated by track id.</summary>
    public static MusicCatalog Load(Stream gzipCsv)
    {
        using var csv = CsvReader.Create(new GZipStream(gzipCsv, CompressionMode.Decompress), CsvReaderOptions.Default, leaveOpen: false);
        var rows = new Dictionary<string, (CatalogTrack Track, SortedSet<string> Genres, SortedSet<string> Subgenres, Dictionary<string, int> Labels)>(StringComparer.Ordinal);
        while (csv.Read())
        {
            var id = csv.GetString("track_id")!;
            var genre = csv.GetString("playlist_genre")!;
            var subgenre = csv.GetString("playlist_subgenre")!;
            var playlist = csv.GetString("playlist_name") ?? "";
            if (rows.TryGetValue(id, out var seen))
            {
                seen.Genres.Add(genre);
                seen.Subgenres.Add(subgenre);
                AddLabels(seen.Labels, playlist);
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
            var labels = new Dictionary<string, int>(StringComparer.Ordinal);
            AddLabels(labels, playlist);
            rows.Add(id, (track, new SortedSet<string>(StringComparer.Ordinal) { genre }, new SortedSet<string>(StringComparer.Ordinal) { subgenre }, labels));
        }

        var deezerIds = new HashSet<long>();
        var isrcs = new HashSet<string>(StringComparer.Ordinal);
        var tracks = rows.Values
            .OrderByDescending(r => r.Track.Popularity)
            .ThenBy(r => r.Track.Id, StringComparer.Ordinal)
            .Select(r => (r.Track with
            {
                Genres = [.. r.Genres],
                Subgenres = [.. r.Subgenres],
                DeezerId = Unique(deezerIds, 100_000_000 + (Hash(r.Track.Id) % 900_000_000)),
                Isrc = UniqueIsrc(isrcs, r.Track),
                Labels = [.. r.Labels.OrderByDescending(l => l.Value).ThenBy(l => l.Key.Length).ThenBy(l => l.Key, StringComparer.Ordinal).Take(MaxLabels).Select(l => (l.Key, l.Value))],
            }).WithTags())
            .ToList();
        return new MusicCatalog(tracks);
    }

    private static readonly Lazy<MusicCatalog> ShippedCatalog = new(LoadShipped);

    /// <summary>The catalog shipped with the sandbox, loaded once per process (it never changes): every sandbox in the process shares it.</summary>
    public static MusicCatalog Shipped => ShippedCatalog.Value;

    private static MusicCatalog LoadShipped()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Sandbox", "Data", "spotify_songs.csv.gz"); // copied there by Pipeline.Sandbox.csproj
        using var file = File.OpenRead(path);
        return Load(file);
    }

    // A track in many playlists keeps its most shared labels: Last.fm shows a track's top tags, not every one.
    private const int MaxLabels = 30;

    private static void AddLabels(Dictionary<string, int> labels, string playlist)
    {
        foreach (var tag in PlaylistTags.From(playlist))
        {
            labels[tag] = labels.GetValueOrDefault(tag) + 1;
        }
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
