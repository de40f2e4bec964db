using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Intent;

/// <summary>
/// Reads a request into a <see cref="SetIntent"/>, deterministically. Numbers first (tempo, years, count, duration),
/// then named artists, then styles and moods, longest phrase first, each consuming its words so no word counts twice:
/// "hip hop" in "90s hip hop for a house party" is the style, and "house party" the occasion. The request's own fields
/// win over the prompt's words; words that match nothing are kept as free-text terms.
/// </summary>
internal static partial class IntentParser
{
    /// <summary>The mean length of a catalog track, for a duration's first track count.</summary>
    public const double MinutesPerTrack = 3.75;

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "for", "of", "to", "in", "on", "at", "by", "with", "from", "into", "over",
        "about", "around", "some", "something", "any", "set", "sets", "mix", "mixes", "playlist", "music", "songs", "song",
        "tracks", "track", "tunes", "tune", "please", "me", "my", "i", "we", "our", "us", "you", "your", "want", "need",
        "make", "build", "give", "create", "get", "play", "dj", "vibe", "vibes", "style", "kind", "sort", "type", "feel",
        "feeling", "sound", "sounds", "bpm", "tempo", "hour", "hours", "minute", "minutes", "long", "that", "this",
        "these", "those", "it", "its", "is", "are", "be", "as", "up", "down", "out", "very", "really", "more", "most",
        "few", "lot", "lots", "plus", "also", "just", "only", "like", "good", "great", "best", "nice", "all", "time",
        "night", "day", "ish", "bit", "little", "then", "than", "so", "while", "during", "through", "such", "similar",
        "starting", "ending", "end", "start", "going", "goes", "keep", "tracklist", "selection", "one", "two", "three",
        "four", "five", "half", "mostly", "maybe", "perhaps", "i'd", "let's", "lets",
    };

    private static readonly Dictionary<string, double> NumberWords = new(StringComparer.Ordinal)
    {
        ["an"] = 1, ["a"] = 1, ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6,
    };

    private static readonly (string Word, int From)[] DecadeWords =
    [
        ("fifties", 1950), ("sixties", 1960), ("seventies", 1970), ("eighties", 1980), ("nineties", 1990), ("noughties", 2000),
    ];

    public static SetIntent Parse(SetRequest request)
    {
        var original = request.Prompt;
        var text = Normalize(original);
        var used = new bool[text.Length];

        var tempo = ReadTempo(text, used);
        var (yearFrom, yearTo) = ReadYears(text, used);
        var count = ReadCount(text, used);
        var minutes = ReadDuration(text, used);
        var artists = ReadArtists(original, text, used);
        var styles = ReadStyles(text, used);
        var moods = ReadMoods(text, used);
        var words = ReadWords(text, used);

        if (request.Bpm is { } bpm)
        {
            tempo = new TempoCurve(bpm, bpm, TempoCurve.Flat, 2);
        }

        var shape = moods.Select(m => m.Shape).FirstOrDefault(s => s is not null);
        int? duration = null;
        int trackCount;
        if (request.TrackCount is { } asked)
        {
            trackCount = asked;
        }
        else if (request.DurationMinutes is { } askedMinutes)
        {
            duration = askedMinutes;
            trackCount = TracksFor(askedMinutes);
        }
        else if (count is { } c)
        {
            trackCount = c;
        }
        else if (minutes is { } m)
        {
            duration = m;
            trackCount = TracksFor(m);
        }
        else
        {
            trackCount = SetIntent.DefaultTrackCount;
        }

        return new SetIntent(
            [.. styles.Select(s => s.Name)],
            [.. moods.Select(m => m.Name)],
            yearFrom,
            yearTo,
            tempo,
            shape,
            trackCount,
            duration,
            artists,
            [.. request.SeedTracks ?? []],
            words);
    }

    /// <summary>The style named <paramref name="name"/>, if the parser knows it.</summary>
    public static Style? StyleNamed(string name) => Array.Find(Style.All, s => s.Name == name);

    /// <summary>The mood named <paramref name="name"/>, if the parser knows it.</summary>
    public static Mood? MoodNamed(string name) => Array.Find(Mood.All, m => m.Name == name);

    private static int TracksFor(int minutes) => Math.Clamp((int)Math.Round(minutes / MinutesPerTrack), 1, 200);

    /// <summary>Lower case without diacritics, one character for one, so spans found here are spans of the original.</summary>
    private static string Normalize(string prompt)
    {
        var chars = new char[prompt.Length];
        for (var i = 0; i < prompt.Length; i++)
        {
            var c = char.ToLowerInvariant(prompt[i]);
            if (c > 127 && char.IsLetter(c))
            {
                var decomposed = c.ToString().Normalize(NormalizationForm.FormD);
                c = decomposed.Length > 0 && decomposed[0] < 128 ? decomposed[0] : c;
            }

            chars[i] = c is '’' or '‘' or '`' ? '\'' : c is '–' or '—' ? '-' : c;
        }

        return new string(chars);
    }

    private static TempoCurve? ReadTempo(string text, bool[] used)
    {
        if (Take(RampPattern(), text, used) is { } ramp && Bpm(ramp.Groups[1]) is { } from && Bpm(ramp.Groups[2]) is { } to)
        {
            return new TempoCurve(from, to, TempoCurve.Ramp, 2);
        }

        if (Take(RangePattern(), text, used) is { } range && Bpm(range.Groups[1]) is { } low && Bpm(range.Groups[2]) is { } high)
        {
            if (range.Groups["sep"].Value == "to" && Math.Abs(high - low) > 8)
            {
                return new TempoCurve(low, high, TempoCurve.Ramp, 2); // "100 to 128 bpm" is a journey, not a band
            }

            (low, high) = (Math.Min(low, high), Math.Max(low, high));
            return new TempoCurve((low + high) / 2, (low + high) / 2, TempoCurve.Flat, Math.Max(1, (high - low) / 2));
        }

        if (Take(TargetPattern(), text, used) is { } target && Bpm(target.Groups[1]) is { } bpm)
        {
            return new TempoCurve(bpm, bpm, TempoCurve.Flat, 2);
        }

        return null;
    }

    private static double? Bpm(Group group) =>
        double.TryParse(group.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bpm) && bpm is >= 40 and <= 220 ? bpm : null;

    private static (int? From, int? To) ReadYears(string text, bool[] used)
    {
        if (Take(YearRangePattern(), text, used) is { } range)
        {
            var a = int.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture);
            var b = int.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture);
            return (Math.Min(a, b), Math.Max(a, b));
        }

        if (Take(DecadePattern(), text, used) is { } decade)
        {
            var digits = decade.Groups["full"].Success ? decade.Groups["full"].Value : decade.Groups["short"].Value;
            var from = digits.Length == 4
                ? int.Parse(digits, CultureInfo.InvariantCulture)
                : int.Parse(digits, CultureInfo.InvariantCulture) is var d && d >= 30 ? 1900 + d : 2000 + d;
            return decade.Groups["part"].Value switch
            {
                "early" => (from, from + 4),
                "mid" => (from + 3, from + 7),
                "late" => (from + 5, from + 9),
                _ => (from, from + 9),
            };
        }

        foreach (var (word, start) in DecadeWords)
        {
            if (TakePhrase(text, used, word))
            {
                return (start, start + 9);
            }
        }

        if (Take(YearPattern(), text, used) is { } year)
        {
            var y = int.Parse(year.Groups[1].Value, CultureInfo.InvariantCulture);
            return (y, y);
        }

        return (null, null);
    }

    private static int? ReadCount(string text, bool[] used) =>
        Take(CountPattern(), text, used) is { } m && int.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 200 ? n : null;

    private static int? ReadDuration(string text, bool[] used)
    {
        if (TakePhrase(text, used, "half an hour") || TakePhrase(text, used, "half hour"))
        {
            return 30;
        }

        if (Take(HoursPattern(), text, used) is { } hours && Amount(hours.Groups[1].Value) is { } h)
        {
            return (int)Math.Clamp(Math.Round(h * 60), 5, 600);
        }

        if (Take(MinutesPattern(), text, used) is { } minutes && Amount(minutes.Groups[1].Value) is { } m)
        {
            return (int)Math.Clamp(Math.Round(m), 5, 600);
        }

        return null;
    }

    private static double? Amount(string value) =>
        NumberWords.TryGetValue(value, out var word) ? word
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    private static List<string> ReadArtists(string original, string text, bool[] used)
    {
        var artists = new List<string>();
        foreach (Match lead in ArtistLead().Matches(text))
        {
            var start = lead.Index + lead.Length;
            var end = ArtistEnd().Match(text, start) is { Success: true } stop ? stop.Index : text.Length;
            var position = start;
            foreach (Match part in ArtistSeparator().Matches(text[start..end] + ","))
            {
                var partEnd = start + part.Index;
                var name = original[position..partEnd].Trim(' ', '"', '\'');
                var offset = original.IndexOf(name, position, StringComparison.Ordinal);
                if (name.Length > 1 && !IsVocabulary(Normalize(name)) && offset >= 0)
                {
                    artists.Add(name);
                    Array.Fill(used, true, offset, name.Length);
                }

                position = partEnd + part.Length;
            }
        }

        return [.. artists.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    // A "name" made only of style, mood and filler words ("like a chill house set") names no artist.
    private static bool IsVocabulary(string name)
    {
        var rest = new bool[name.Length];
        foreach (var phrase in Style.All.SelectMany(s => s.Phrases).Concat(Mood.All.SelectMany(m => m.Phrases)).OrderByDescending(p => p.Length))
        {
            while (TakePhrase(name, rest, phrase))
            {
            }
        }

        return ReadWords(name, rest).Count == 0 && !name.Any(char.IsDigit);
    }

    private static List<Style> ReadStyles(string text, bool[] used)
    {
        var found = new List<(int At, Style Style)>();
        void Match(Style style, string phrase)
        {
            while (Find(text, used, phrase) is { } at)
            {
                Array.Fill(used, true, at, phrase.Length);
                found.Add((at, style));
            }
        }

        var house = Array.Find(Style.All, s => s.Name == "house")!;
        foreach (var (style, phrase) in Style.All.Where(s => s != house).SelectMany(s => s.Phrases.Select(p => (s, p))).OrderByDescending(p => p.p.Length))
        {
            Match(style, phrase);
        }

        // "house party" is the occasion when another style is named ("90s hip hop for a house party"), else a house set.
        if (found.Count == 0 && Find(text, used, "house party") is not null)
        {
            Match(house, "house");
        }
        else if (Find(text, used, "house party") is null)
        {
            Match(house, "house");
        }

        return [.. found.OrderBy(f => f.At).Select(f => f.Style).Distinct().OrderBy(s => Array.IndexOf(Style.All, s))];
    }

    private static List<Mood> ReadMoods(string text, bool[] used)
    {
        var found = new List<(int At, Mood Mood)>();
        foreach (var (mood, phrase) in Mood.All.SelectMany(m => m.Phrases.Select(p => (m, p))).OrderByDescending(p => p.p.Length))
        {
            while (Find(text, used, phrase) is { } at)
            {
                Array.Fill(used, true, at, phrase.Length);
                found.Add((at, mood));
            }
        }

        return [.. found.OrderBy(f => f.At).Select(f => f.Mood).Distinct()];
    }

    private static List<string> ReadWords(string text, bool[] used)
    {
        var words = new List<string>();
        foreach (Match m in Word().Matches(text))
        {
            var word = m.Value.Trim('-', '\'');
            if (word.Length >= 3 && !used[m.Index] && !StopWords.Contains(word) && !word.All(char.IsDigit))
            {
                words.Add(word);
            }
        }

        return [.. words.Distinct(StringComparer.Ordinal)];
    }

    private static Match? Take(Regex pattern, string text, bool[] used)
    {
        foreach (Match m in pattern.Matches(text))
        {
            if (!used.AsSpan(m.Index, m.Length).Contains(true))
            {
                Array.Fill(used, true, m.Index, m.Length);
                return m;
            }
        }

        return null;
    }

    private static bool TakePhrase(string text, bool[] used, string phrase)
    {
        if (Find(text, used, phrase) is not { } at)
        {
            return false;
        }

        Array.Fill(used, true, at, phrase.Length);
        return true;
    }

    /// <summary>The first unused, whole-word occurrence of <paramref name="phrase"/>.</summary>
    private static int? Find(string text, bool[] used, string phrase)
    {
        for (var at = text.IndexOf(phrase, StringComparison.Ordinal); at >= 0; at = text.IndexOf(phrase, at + 1, StringComparison.Ordinal))
        {
            var end = at + phrase.Length;
            if ((at == 0 || !IsWordChar(text[at - 1])) && (end == text.Length || !IsWordChar(text[end])) && !used.AsSpan(at, phrase.Length).Contains(true))
            {
                return at;
            }
        }

        return null;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '&' or '\'';

    [GeneratedRegex(@"\bfrom\s+(\d{2,3}(?:\.\d+)?)\s*(?:bpm\s*)?(?:to|-|up to)\s*(\d{2,3}(?:\.\d+)?)\b(?:\s*bpm)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex RampPattern();

    [GeneratedRegex(@"\b(?:between\s+)?(\d{2,3}(?:\.\d+)?)\s*(?:bpm\s*)?(?<sep>-|to|and)\s*(\d{2,3}(?:\.\d+)?)\s*bpm\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex RangePattern();

    [GeneratedRegex(@"(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex TargetPattern();

    [GeneratedRegex(@"\b((?:19|20)\d\d)\s*(?:-|to|until|through)\s*((?:19|20)\d\d)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex YearRangePattern();

    [GeneratedRegex(@"(?:\b(?<part>early|mid|late)[\s-]*)?(?:\b(?<full>(?:19|20)\d0)|(?<![\w])'?(?<short>\d0))'?s\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex DecadePattern();

    [GeneratedRegex(@"\b((?:19[5-9]|20[0-2])\d)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex YearPattern();

    [GeneratedRegex(@"\b(\d{1,3})\s*-?\s*(?:tracks?|songs?|tunes?|records?)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CountPattern();

    [GeneratedRegex(@"\b(\d+(?:\.\d+)?|an|a|one|two|three|four|five|six)\s*-?\s*(?:hours?|hrs?|h)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex HoursPattern();

    [GeneratedRegex(@"\b(\d{1,3})\s*-?\s*(?:minutes?|mins?|min)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex MinutesPattern();

    [GeneratedRegex(@"\b(?:in the style of|similar to|sounds like|such as|a la|artists like|like)\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ArtistLead();

    [GeneratedRegex(@"[.;:!?()]|\s(?:for|with|at|around|in|on|from|during|but|to|mixed|into|then)\s|\s\d", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ArtistEnd();

    [GeneratedRegex(@"\s*,\s*(?:and\s+|&\s+|or\s+)?|\s+(?:and|&|or)\s+", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ArtistSeparator();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}&'-]*", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Word();
}
