using System.Globalization;
using System.Text;
using Pipeline.Stages.Music;

namespace Pipeline.Sandbox.Upstreams;

/// <summary>
/// The sandbox model's answer: it keeps the order it is given (the set's tempo curve) and writes a note on every
/// transition that says what the tempo step and keys allow: a blend only when both do.
/// </summary>
internal static class SandboxDj
{
    public static string Answer(string prompt)
    {
        var order = SetTable.Read(prompt);
        if (order.Count == 0)
        {
            return "I could not find any tracks in the request, so there is no set to annotate.";
        }

        var text = new StringBuilder();
        var bpms = order.Where(r => r.Bpm is not null).Select(r => r.Bpm!.Value).ToList();
        text.Append(CultureInfo.InvariantCulture, $"Here is the {order.Count}-track set in the order given");
        if (bpms.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", opening at {bpms[0]:0} and closing at {bpms[^1]:0} BPM");
        }

        text.Append(".\n\n");
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

    private static string Transition(SetTable.Row from, SetTable.Row to)
    {
        var step = from.Bpm is { } a && to.Bpm is { } b ? b - a : (double?)null;
        var tempo = step switch
        {
            null => "tempo unknown",
            { } s when Math.Abs(s) < 0.5 => "same tempo",
            { } s => string.Create(CultureInfo.InvariantCulture, $"{s:+0;-0} BPM"),
        };
        var relation = Camelot.Relation(from.Camelot, to.Camelot);
        var smooth = step is { } d && Math.Abs(d) <= 6;
        var how = (smooth, relation) switch
        {
            (true, "same") => $"same key ({to.Camelot}): blend over 16 bars",
            (true, "adjacent" or "relative") => $"{from.Camelot} to {to.Camelot} sits next to it on the wheel: a long harmonic blend works",
            (true, "adventurous") => $"{from.Camelot} to {to.Camelot} is a stretch: keep the overlap short, a quick blend on the drums",
            (true, _) => $"{from.Camelot ?? "?"} to {to.Camelot ?? "?"} would clash: bring it in on the drums only and drop the outgoing melody",
            (false, _) when step is { } big && Math.Abs(big) <= 12 => "too far to beatmatch: echo out the outgoing track and start fresh",
            _ => "a hard cut on the one: the tempos are too far apart to mix",
        };
        return $"{tempo}; {how}.";
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
