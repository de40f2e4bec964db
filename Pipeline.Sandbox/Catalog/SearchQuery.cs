using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Sandbox.Catalog;

/// <summary>
/// A search query in the Spotify/Deezer style: <c>field:value</c> or <c>field:"two words"</c> filters (artist, track,
/// album, genre, year, isrc) and free words, all of which must match.
/// </summary>
internal sealed partial class SearchQuery
{
    private readonly List<(string Field, string Value)> _filters = [];
    private readonly List<string> _words = [];

    public static SearchQuery Parse(string text)
    {
        var query = new SearchQuery();
        foreach (Match m in Term().Matches(text))
        {
            var value = m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["plain"].Value;
            if (m.Groups["field"].Success)
            {
                query._filters.Add((m.Groups["field"].Value.ToLowerInvariant(), value));
            }
            else if (value.Length > 0)
            {
                query._words.Add(value);
            }
        }

        return query;
    }

    /// <summary>
    /// The texts every match holds somewhere in its name, artist, album, genres or subgenres: the text filters' values
    /// and the free words.
    /// </summary>
    public IEnumerable<string> Texts =>
        _filters.Where(f => f.Field is "artist" or "track" or "album" or "genre").Select(f => f.Value).Concat(_words);

    public bool Matches(CatalogTrack track)
    {
        foreach (var (field, value) in _filters)
        {
            var ok = field switch
            {
                "artist" => Contains(track.Artist, value),
                "track" => Contains(track.Name, value),
                "album" => Contains(track.AlbumName, value),
                "genre" => AnyContains(track.Genres, value) || AnyContains(track.Subgenres, value),
                "isrc" => string.Equals(track.Isrc, value, StringComparison.OrdinalIgnoreCase),
                "year" => Year(track.ReleaseDate, value),
                _ => true, // unknown filters are ignored, as the real services do
            };
            if (!ok)
            {
                return false;
            }
        }

        foreach (var word in _words)
        {
            if (!Contains(track.Name, word) && !Contains(track.Artist, word) && !Contains(track.AlbumName, word)
                && !AnyContains(track.Subgenres, word) && !AnyContains(track.Genres, word))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AnyContains(IReadOnlyList<string> texts, string value)
    {
        for (var i = 0; i < texts.Count; i++)
        {
            if (Contains(texts[i], value))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(string? text, string value) => text?.Contains(value, StringComparison.OrdinalIgnoreCase) == true;

    private static bool Year(string releaseDate, string value)
    {
        var year = int.Parse(releaseDate[..4], CultureInfo.InvariantCulture);
        var range = value.Split('-');
        return range.Length == 2 && int.TryParse(range[0], CultureInfo.InvariantCulture, out var from) && int.TryParse(range[1], CultureInfo.InvariantCulture, out var to)
            ? year >= from && year <= to
            : int.TryParse(value, CultureInfo.InvariantCulture, out var exact) && exact == year;
    }

    [GeneratedRegex("""(?:(?<field>[A-Za-z_]+):)?(?:"(?<quoted>[^"]*)"|(?<plain>[^\s"]+))""")]
    private static partial Regex Term();
}
