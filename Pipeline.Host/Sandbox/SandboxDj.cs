using System.Globalization;
using System.Text;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Sandbox;

/// <summary>
/// The sandbox model's answer: it really orders the tracks it is given — a rising BPM line, each next track chosen
/// for the smallest tempo step and a compatible Camelot key — and explains every transition.
/// </summary>
internal static class SandboxDj
{
    public static string Answer(string prompt)
    {
        var rows = SetTable.Read(prompt);
        if (rows.Count == 0)
        {
            return "I could not find any tracks in the request, so there is no set to order.";
        }

        var order = Order(rows);
        var text = new StringBuilder();
        var bpms = order.Where(r => r.Bpm is not null).Select(r => r.Bpm!.Value).ToList();
        text.Append(CultureInfo.InvariantCulture, $"Here is a {order.Count}-track set");
        if (bpms.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" that moves from {bpms.Min():0} to {bpms.Max():0} BPM");
        }

        text.Append(", ordered for smooth tempo steps and harmonic (Camelot) mixing.\n\n");
        for (var i = 0; i < order.Count; i++)
        {
            var row = order[i];
            text.Append(CultureInfo.InvariantCulture, $"{i + 1}. {row.Title} ({Bpm(row.Bpm)}, {row.Camelot ?? "key unknown"})\n");
            if (i + 1 < order.Count)
            {
                text.Append("   → ").Append(Transition(row, order[i + 1])).Append('\n');
            }
        }

        text.Append("\nClose on the last track and let it ring out.");
        return text.ToString();
    }

    private static List<SetTable.Row> Order(IReadOnlyList<SetTable.Row> rows)
    {
        var left = rows.ToList();
        var current = left.OrderBy(r => r.Bpm ?? double.MaxValue).ThenBy(r => r.Energy ?? 1).First();
        var order = new List<SetTable.Row> { current };
        left.Remove(current);
        while (left.Count > 0)
        {
            var from = current;
            current = left.OrderBy(r => Cost(from, r)).ThenBy(r => r.Number).First();
            order.Add(current);
            left.Remove(current);
        }

        return order;
    }

    // Small tempo steps, rising rather than falling, and keys next to each other on the wheel.
    private static double Cost(SetTable.Row from, SetTable.Row to)
    {
        var step = (to.Bpm ?? from.Bpm ?? 0) - (from.Bpm ?? to.Bpm ?? 0);
        var tempo = step >= 0 ? step : -step * 3;
        return tempo + (4 * Math.Max(0, Camelot.Distance(from.Camelot, to.Camelot) - 1));
    }

    private static string Transition(SetTable.Row from, SetTable.Row to)
    {
        var tempo = from.Bpm is { } a && to.Bpm is { } b
            ? Math.Abs(b - a) < 0.5 ? "same tempo" : string.Create(CultureInfo.InvariantCulture, $"{b - a:+0;-0} BPM")
            : "tempo unknown";
        var key = Camelot.Distance(from.Camelot, to.Camelot) switch
        {
            0 => $"same key ({to.Camelot}): blend over 16 bars",
            1 => $"{from.Camelot} to {to.Camelot} is a neighbour on the wheel: a long harmonic blend works",
            6 when from.Camelot is null || to.Camelot is null => "key unknown: mix on the drums only",
            _ => $"{from.Camelot} to {to.Camelot} clashes: cut on the one or echo out",
        };
        return $"{tempo}; {key}.";
    }

    private static string Bpm(double? bpm) => bpm is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b:0} BPM") : "BPM unknown";

    /// <summary>The answer split into tokens the way a model streams them: words with their trailing space.</summary>
    public static IEnumerable<string> Tokens(string answer)
    {
        var start = 0;
        for (var i = 0; i < answer.Length; i++)
        {
            if (answer[i] is ' ' or '\n')
            {
                yield return answer[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < answer.Length)
        {
            yield return answer[start..];
        }
    }
}
