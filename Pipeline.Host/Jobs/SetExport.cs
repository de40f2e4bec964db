using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Host.Jobs;

/// <summary>A finished set as a download: extended M3U (a player's playlist) or CSV (a spreadsheet of the set and its transitions).</summary>
internal static partial class SetExport
{
    /// <summary>Extended M3U: <c>#EXTINF</c> with the length in seconds and "artist – title", then the track's URI.</summary>
    public static string M3u(SetResult set, string title)
    {
        var text = new StringBuilder("#EXTM3U\n");
        text.Append("#PLAYLIST:").Append(OneLine(title)).Append('\n');
        foreach (var t in set.Tracks)
        {
            text.Append(CultureInfo.InvariantCulture, $"#EXTINF:{(int)Math.Round(t.DurationMs / 1000.0)},{OneLine(string.Join(", ", t.Artists))} – {OneLine(t.Title)}\n");
            text.Append(t.Uri).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>CSV (RFC 4180) with a header: one row per track in play order, the transition into the next on its row.</summary>
    public static string Csv(SetResult set)
    {
        var text = new StringBuilder("position,artist,title,bpm,target_bpm,camelot,energy,release_year,duration_ms,tempo_step,key_relation,mix,note,uri\r\n");
        foreach (var t in set.Tracks)
        {
            string[] cells =
            [
                Number(t.Position), string.Join(", ", t.Artists), t.Title, Number(t.Bpm), Number(t.TargetBpm), t.Camelot ?? "", Number(t.Energy),
                Number(t.ReleaseYear), Number(t.DurationMs), Number(t.Transition?.TempoStep), t.Transition?.KeyRelation ?? "",
                t.Transition?.Mix ?? "", t.Transition?.Note ?? "", t.Uri,
            ];
            text.AppendJoin(',', cells.Select(Quote)).Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>A file name from the prompt: "dark techno around 130 bpm" gives <c>dark-techno-around-130-bpm</c>.</summary>
    public static string FileName(string prompt, string id)
    {
        var slug = NotWord().Replace(prompt.ToLowerInvariant(), "-").Trim('-');
        slug = slug.Length > 48 ? slug[..48].TrimEnd('-') : slug;
        return slug.Length == 0 ? $"set-{id}" : slug;
    }

    private static string Number<T>(T? value)
        where T : struct, IFormattable => value?.ToString(null, CultureInfo.InvariantCulture) ?? "";

    private static string Number<T>(T value)
        where T : struct, IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    [GeneratedRegex(@"[^a-z0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex NotWord();
}
