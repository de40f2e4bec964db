using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Stages.Music;

/// <summary>
/// The compact track table the LLM stage sends (one line per track), and its parser: the sandbox model reads the
/// same lines back, so the format lives in one place.
/// </summary>
public static partial class SetTable
{
    /// <summary>One row of the table.</summary>
    /// <param name="Number">1-based position in the candidate list.</param>
    /// <param name="Title">"Artist – Title".</param>
    /// <param name="Bpm">Tempo, if known.</param>
    /// <param name="Camelot">Camelot key, if known.</param>
    /// <param name="Energy">Energy 0–1, if known.</param>
    /// <param name="Tags">Top tags.</param>
    public sealed record Row(int Number, string Title, double? Bpm, string? Camelot, double? Energy, IReadOnlyList<string> Tags);

    /// <summary>Writes rows as <c>T1 | Artist – Title | 124.0 BPM | 8A | energy 0.71 | house, deep house</c>.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The table, one line per row.</returns>
    public static string Write(IEnumerable<Row> rows)
    {
        var text = new StringBuilder();
        foreach (var r in rows)
        {
            // Titles are user-visible data: keep them on one line and free of the column separator.
            var title = r.Title.Replace('|', '/').ReplaceLineEndings(" ");
            text.Append(CultureInfo.InvariantCulture, $"T{r.Number} | {title} | {(r.Bpm is { } b ? b.ToString("0.0", CultureInfo.InvariantCulture) : "?")} BPM | {r.Camelot ?? "?"} | energy {(r.Energy is { } e ? e.ToString("0.00", CultureInfo.InvariantCulture) : "?")} | {string.Join(", ", r.Tags.Take(4))}\n");
        }

        return text.ToString();
    }

    /// <summary>Reads back every row found in <paramref name="text"/>.</summary>
    /// <param name="text">Text holding table lines.</param>
    /// <returns>The rows.</returns>
    public static IReadOnlyList<Row> Read(string text) =>
    [
        .. Line().Matches(text).Select(m => new Row(
            int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture),
            m.Groups["title"].Value.Trim(),
            double.TryParse(m.Groups["bpm"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bpm) ? bpm : null,
            m.Groups["key"].Value == "?" ? null : m.Groups["key"].Value,
            double.TryParse(m.Groups["energy"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var energy) ? energy : null,
            [.. m.Groups["tags"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)])),
    ];

    [GeneratedRegex(@"^T(?<n>\d+) \| (?<title>[^|\n]+) \| (?<bpm>[\d.?]+) BPM \| (?<key>\d{1,2}[AB]|\?) \| energy (?<energy>[\d.?]+) \|(?<tags>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex Line();
}
