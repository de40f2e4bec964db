using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Search;

/// <summary>Spotify search queries derived from a request: its seed tracks first, then the genres and moods it names.</summary>
internal static partial class PromptQueries
{
    // Words a prompt may use, mapped to genre filters Spotify (and the sandbox catalog) understand.
    private static readonly (string Word, string Genre)[] Genres =
    [
        ("progressive house", "progressive electro house"), ("electro house", "electro house"), ("deep house", "house"),
        ("tropical house", "tropical"), ("big room", "big room"), ("house", "house"), ("techno", "electro"), ("edm", "edm"),
        ("trance", "edm"), ("electropop", "electropop"), ("dance pop", "dance pop"), ("indie", "indie poptimism"),
        ("pop", "pop"), ("hip hop", "hip hop"), ("hip-hop", "hip hop"), ("trap", "trap"), ("rap", "rap"), ("r&b", "r&b"),
        ("rnb", "r&b"), ("neo soul", "neo soul"), ("soul", "neo soul"), ("swing", "new jack swing"), ("reggaeton", "reggaeton"),
        ("latin", "latin"), ("tropical", "tropical"), ("hard rock", "hard rock"), ("classic rock", "classic rock"), ("rock", "rock"),
    ];

    private static readonly (string Word, string Genre)[] Moods =
    [
        ("sunset", "tropical"), ("beach", "tropical"), ("summer", "tropical"), ("chill", "neo soul"), ("lounge", "neo soul"),
        ("party", "big room"), ("workout", "electro house"), ("gym", "electro house"), ("club", "electro house"), ("dance", "dance pop"),
        ("road trip", "album rock"), ("90s", "new jack swing"),
    ];

    /// <summary>The queries, most specific first, without repeats; a seed query wants only its best hit.</summary>
    public static IReadOnlyList<(string Query, bool Seed)> For(SetRequest request)
    {
        var queries = new List<(string, bool)>();
        foreach (var seed in request.SeedTracks ?? [])
        {
            var parts = seed.Split([" - ", " – ", " — "], 2, StringSplitOptions.TrimEntries);
            queries.Add((parts.Length == 2 ? $"artist:\"{Clean(parts[0])}\" track:\"{Clean(parts[1])}\"" : $"track:\"{Clean(seed)}\"", true));
        }

        var prompt = request.Prompt.ToLowerInvariant();
        var genres = Genres.Where(g => Contains(prompt, g.Word)).Select(g => g.Genre)
            .Concat(Moods.Where(m => Contains(prompt, m.Word)).Select(m => m.Genre))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (genres.Count == 0)
        {
            genres.Add("dance pop"); // a prompt naming nothing we know still gets a danceable set
        }

        queries.AddRange(genres.Select(g => ($"genre:\"{g}\"", false)));
        return queries.Distinct().ToList();
    }

    /// <summary>The tempo the prompt asks for ("124 BPM"), if any.</summary>
    public static double? TargetBpm(string prompt) =>
        Bpm().Match(prompt) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static bool Contains(string prompt, string word) =>
        Regex.IsMatch(prompt, $@"(?<![a-z]){Regex.Escape(word)}(?![a-z])", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static string Clean(string text) => text.Replace("\"", "", StringComparison.Ordinal).Trim();

    [GeneratedRegex(@"(\d{2,3}(?:\.\d+)?)\s*bpm", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Bpm();
}
