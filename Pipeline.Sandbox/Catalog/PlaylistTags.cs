using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Sandbox.Catalog;

/// <summary>
/// Last.fm-style tags read from the names of the playlists a track appears in: user-made labels, the way Last.fm's
/// tags are user-made ("Lofi Hip-Hop" gives <c>lo-fi</c>, <c>hip hop</c>, <c>lo-fi hip hop</c>). Every run of one to
/// three words that are not filler becomes a tag, spelled the one way Last.fm's most used tag is.
/// </summary>
internal static partial class PlaylistTags
{
    private static readonly HashSet<string> Filler = new(StringComparer.Ordinal)
    {
        "the", "of", "and", "a", "an", "by", "to", "in", "on", "for", "with", "my", "your", "our", "is", "it", "this",
        "that", "de", "la", "el", "y", "e", "en", "los", "las", "i", "me", "you", "all", "top", "best", "hits", "mix",
        "playlist", "music", "songs", "tracks", "new", "updated", "weekly", "present", "ever", "edition", "intro",
        "sound", "vol", "pt", "x", "s", "n", "dr", "q's", "so", "go", "ahead", "along", "these", "can't",
    };

    private static readonly (string From, string To)[] Spellings =
    [
        ("hip-hop", "hip hop"), ("hiphop", "hip hop"), ("lo-fi", "lo-fi"), ("lofi", "lo-fi"), ("lo fi", "lo-fi"),
        ("r'n'b", "r&b"), ("rnb", "r&b"), ("neo-soul", "neo soul"), ("deephouse", "deep house"),
        ("electrohouse", "electro house"), ("electro-house", "electro house"), ("bigroom", "big room"),
        ("big-room", "big room"), ("raggaeton", "reggaeton"), ("gangsta", "gangster"), ("post-teen", "post teen"),
        ("electropop", "electropop"), ("k-pop", "k-pop"), ("kpop", "k-pop"), ("old skool", "old school"),
    ];

    /// <summary>The tags a playlist's name gives its tracks.</summary>
    public static IEnumerable<string> From(string playlistName)
    {
        var words = Word().Matches(Canonical(playlistName)).Select(m => m.Value).ToList();
        var tags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            for (var n = 1; n <= 3 && i + n <= words.Count; n++)
            {
                var run = words.GetRange(i, n);
                if (Filler.Contains(run[0]) || Filler.Contains(run[^1]) || run.Any(w => w.Length < 2 && w != "&"))
                {
                    continue;
                }

                tags.Add(string.Join(' ', run));
            }
        }

        return tags;
    }

    /// <summary>A tag as the index keeps it: lower case, no accents, one spelling per label ("Hip-Hop" is "hip hop").</summary>
    public static string Canonical(string text)
    {
        var decomposed = text.ToLowerInvariant().Replace('’', '\'').Normalize(NormalizationForm.FormD);
        var plain = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                plain.Append(c);
            }
        }

        var canonical = Decade().Replace(plain.ToString(), m => (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) + "s");
        foreach (var (from, to) in Spellings)
        {
            canonical = Regex.Replace(canonical, $@"(?<![\w&']){Regex.Escape(from)}(?![\w&'])", to, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return Space().Replace(canonical, " ").Trim();
    }

    // 80's, '80s and ’80s are all the tag 80s.
    [GeneratedRegex(@"'?(\d0)'s\b|'(\d0)s\b", RegexOptions.CultureInvariant)]
    private static partial Regex Decade();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}&'-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Space();
}
