using System.Text.RegularExpressions;

namespace Pipeline.Stages.Search;

/// <summary>
/// One key per song whatever its version: a remix, radio edit, live take or "feat." credit of a title is the same
/// song ("Memories - Dillon Francis Remix" is "Memories" by the same artist), so a pool keeps one version at most.
/// </summary>
internal static partial class SongKey
{
    public static string Of(string artist, string title)
    {
        var baseTitle = Version().Replace(title, "");
        var cut = baseTitle.IndexOf(" - ", StringComparison.Ordinal);
        if (cut > 0)
        {
            baseTitle = baseTitle[..cut];
        }

        return $"{Plain(artist)}|{Plain(baseTitle)}";
    }

    private static string Plain(string text) => NotWord().Replace(text.ToLowerInvariant(), "");

    [GeneratedRegex(@"\s*[\(\[][^\)\]]*[\)\]]|\s+(?:feat\.?|ft\.?|featuring)\s.*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Version();

    [GeneratedRegex(@"[^\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex NotWord();
}
