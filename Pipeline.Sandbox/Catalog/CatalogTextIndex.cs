using System.Collections.Frozen;

namespace Pipeline.Sandbox.Catalog;

/// <summary>
/// A trigram index over the text a search matches (name, artist, album, genres, subgenres): for each run of three
/// characters, case-folded as <see cref="StringComparison.OrdinalIgnoreCase"/> folds them, the catalog positions of
/// the tracks whose text holds it. Every track containing a text holds each of its trigrams, so the rarest trigram's
/// tracks are a superset of the matches, in catalog order, for the query to check one by one.
/// </summary>
internal sealed class CatalogTextIndex
{
    private const int Length = 3;

    private readonly FrozenDictionary<ulong, int[]> _positions;

    public CatalogTextIndex(IReadOnlyList<CatalogTrack> tracks)
    {
        // Two passes over the catalog, so each trigram's positions are allocated once at their size.
        var sizes = new Dictionary<ulong, int>();
        var seen = new HashSet<ulong>();
        for (var i = 0; i < tracks.Count; i++)
        {
            foreach (var trigram in Trigrams(tracks[i], seen))
            {
                sizes[trigram] = sizes.GetValueOrDefault(trigram) + 1;
            }
        }

        var positions = sizes.ToDictionary(s => s.Key, s => new int[s.Value]);
        var filled = new Dictionary<ulong, int>(sizes.Count);
        for (var i = 0; i < tracks.Count; i++)
        {
            foreach (var trigram in Trigrams(tracks[i], seen))
            {
                var at = filled.GetValueOrDefault(trigram);
                positions[trigram][at] = i; // ascending: tracks are visited in catalog order
                filled[trigram] = at + 1;
            }
        }

        _positions = positions.ToFrozenDictionary();
    }

    /// <summary>
    /// The positions of the tracks that may contain every one of <paramref name="texts"/>, ascending; null when none
    /// of them narrows the search (each shorter than three characters), so every track may.
    /// </summary>
    public int[]? Candidates(IEnumerable<string> texts)
    {
        int[]? rarest = null;
        var trigrams = new HashSet<ulong>();
        foreach (var text in texts)
        {
            trigrams.Clear();
            AddTrigrams(text, trigrams, pairsLeftOut: true);
            foreach (var trigram in trigrams)
            {
                if (!_positions.TryGetValue(trigram, out var positions))
                {
                    return []; // no track holds it: none contains the text
                }

                if (rarest is null || positions.Length < rarest.Length)
                {
                    rarest = positions;
                }
            }
        }

        return rarest;
    }

    // The distinct trigrams of a track's text, in a set reused from track to track.
    private static HashSet<ulong> Trigrams(CatalogTrack track, HashSet<ulong> trigrams)
    {
        trigrams.Clear();
        foreach (var text in Texts(track))
        {
            AddTrigrams(text, trigrams, pairsLeftOut: false);
        }

        return trigrams;
    }

    private static IEnumerable<string?> Texts(CatalogTrack track)
    {
        yield return track.Name;
        yield return track.Artist;
        yield return track.AlbumName;
        foreach (var genre in track.Genres)
        {
            yield return genre;
        }

        foreach (var subgenre in track.Subgenres)
        {
            yield return subgenre;
        }
    }

    // A query's trigrams leave out those with half a surrogate pair: OrdinalIgnoreCase folds a pair as one code point.
    private static void AddTrigrams(string? text, HashSet<ulong> trigrams, bool pairsLeftOut)
    {
        if (text is null)
        {
            return;
        }

        for (var i = 0; i + Length <= text.Length; i++)
        {
            if (pairsLeftOut && (char.IsSurrogate(text[i]) || char.IsSurrogate(text[i + 1]) || char.IsSurrogate(text[i + 2])))
            {
                continue;
            }

            trigrams.Add(((ulong)Fold(text[i]) << 32) | ((ulong)Fold(text[i + 1]) << 16) | Fold(text[i + 2]));
        }
    }

    /// <summary>The folding OrdinalIgnoreCase compares by: a UTF-16 unit upper-cased by the invariant culture.</summary>
    internal static char Fold(char c) => char.ToUpperInvariant(c);
}
