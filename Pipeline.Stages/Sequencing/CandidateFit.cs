using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// Weighs a pool track against the intent: style by its tags (a tag naming the style as whole words, so <c>southern
/// hip hop</c> is hip hop) or the Spotify genre or tag it was found under, decade by its release year, mood by its
/// energy and valence against the mood words' ranges.
/// </summary>
internal static class CandidateFit
{
    public static Candidate Of(Track track, SetIntent intent)
    {
        var styles = intent.Styles.Select(IntentParser.StyleNamed).OfType<Style>().ToList();
        var style = styles.Count == 0 || styles.Any(s => Matches(track, s));
        var broad = !style && styles.Any(s => s.Parent is { } p && IntentParser.StyleNamed(p) is { } parent && Matches(track, parent));
        var decade = !intent.HasYears || (track.ReleaseYear is { } y && y >= intent.YearFrom && y <= intent.YearTo);
        var mood = 0.0;
        foreach (var m in intent.Moods.Select(IntentParser.MoodNamed).OfType<Mood>())
        {
            mood += Outside(track.Features?.Energy, m.EnergyLow, m.EnergyHigh) + Outside(track.Features?.Valence, m.ValenceLow, m.ValenceHigh);
        }

        var seed = track.Source == "seed";
        var named = intent.Artists.Any(a => track.Artists.Any(t => string.Equals(t, a, StringComparison.OrdinalIgnoreCase)));
        return new Candidate(track, style || named || seed, broad, decade || seed, mood * 20, seed, named);
    }

    /// <summary>True when the track carries the style: a tag holding one of its phrases as whole words, or found under its tag or genre.</summary>
    public static bool Matches(Track track, Style style)
    {
        if (track.Source is { } source && (source == "tag:" + style.Name || (style.SpotifyGenre is { } g && source.StartsWith("genre:" + g, StringComparison.Ordinal))))
        {
            return true;
        }

        return track.Tags.Any(tag => Carries(Plain(tag), style));
    }

    /// <summary>
    /// True when a tag files a track under the style: it holds one of the style's phrases as whole words and does not
    /// name a style of another family ("latin hip hop" is latin, not hip hop; "southern hip hop" is hip hop, and
    /// "progressive electro house" as much house as "electro house").
    /// </summary>
    public static bool Carries(string tag, Style style)
    {
        if (Style.ByPhrase.TryGetValue(tag, out var named))
        {
            if (named == style || named.Parent == style.Name)
            {
                return true; // the style itself, or one of its subgenres ("gangster rap" is hip hop)
            }

            if ((named.Parent ?? named.Name) != (style.Parent ?? style.Name))
            {
                return false;
            }
        }

        foreach (var phrase in style.Phrases)
        {
            if (ContainsWords(tag, phrase))
            {
                return true;
            }
        }

        return false;
    }

    private static double Outside(double? value, double? low, double? high) => value switch
    {
        null => 0,
        { } v when low is { } l && v < l => l - v,
        { } v when high is { } h && v > h => v - h,
        _ => 0,
    };

    private static string Plain(string text) => text.ToLowerInvariant().Replace("hip-hop", "hip hop", StringComparison.Ordinal).Replace("lofi", "lo-fi", StringComparison.Ordinal);

    private static bool ContainsWords(string text, string phrase)
    {
        for (var at = text.IndexOf(phrase, StringComparison.Ordinal); at >= 0; at = text.IndexOf(phrase, at + 1, StringComparison.Ordinal))
        {
            var end = at + phrase.Length;
            if ((at == 0 || !char.IsLetterOrDigit(text[at - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end])))
            {
                return true;
            }
        }

        return false;
    }
}
