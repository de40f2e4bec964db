using System.Collections.Concurrent;

namespace Pipeline.Sandbox.Catalog;

/// <summary>
/// The catalog searched the way the real services' indexes answer: a query's matches (<see cref="SearchQuery"/>, in
/// catalog order) are found once and kept for the most recent queries, so paging through a query, or many jobs asking
/// the same one, scans the catalog once; concurrent first asks share that scan. A scan reads only the tracks the
/// catalog's <see cref="CatalogTextIndex"/> leaves as candidates.
/// </summary>
internal sealed class CatalogSearch(MusicCatalog catalog)
{
    /// <summary>Queries kept: the latest this many, and up to as many before them.</summary>
    public const int Capacity = 128;

    private readonly Lock _lock = new();
    private ConcurrentDictionary<string, Lazy<CatalogTrack[]>> _recent = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, Lazy<CatalogTrack[]>> _older = new(StringComparer.Ordinal);

    /// <summary>Every track matching <paramref name="query"/>, in catalog order (most popular first).</summary>
    public IReadOnlyList<CatalogTrack> Find(string query)
    {
        var recent = Volatile.Read(ref _recent);
        if (!recent.TryGetValue(query, out var matches))
        {
            var kept = Volatile.Read(ref _older).TryGetValue(query, out var older) ? older : new Lazy<CatalogTrack[]>(() => Scan(query));
            matches = recent.GetOrAdd(query, kept);
            if (recent.Count > Capacity)
            {
                Retire(recent);
            }
        }

        return matches.Value;
    }

    // Only the tracks holding the query's rarest trigram are checked; a query with no text of three characters checks all.
    private CatalogTrack[] Scan(string query)
    {
        var parsed = SearchQuery.Parse(query);
        var tracks = catalog.Tracks;
        return catalog.TextIndex.Candidates(parsed.Texts) is { } candidates
            ? [.. candidates.Select(i => tracks[i]).Where(parsed.Matches)]
            : [.. tracks.Where(parsed.Matches)];
    }

    private void Retire(ConcurrentDictionary<string, Lazy<CatalogTrack[]>> full)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_recent, full))
            {
                Volatile.Write(ref _older, full);
                Volatile.Write(ref _recent, new ConcurrentDictionary<string, Lazy<CatalogTrack[]>>(StringComparer.Ordinal));
            }
        }
    }
}
