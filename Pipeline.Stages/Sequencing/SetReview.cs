using System.Text.RegularExpressions;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// Checks the model's answer against the sequenced set and takes what passes: its order only if it lists every track
/// once, invents none and makes no transition worse than the sequencer's bound; its notes wherever they do not call
/// a transition a blend that the tempo step or keys do not allow.
/// </summary>
internal static partial class SetReview
{
    public static (SetResult Set, bool OrderUsed, int NotesUsed, string Reason) Apply(SetResult set, string answer)
    {
        var (order, notes) = Parse(set, answer);
        var reason = Check(set, order);
        var orderUsed = false;
        var tracks = set.Tracks;
        if (reason is null && !order.Select(t => t.Id).SequenceEqual(set.Tracks.Select(t => t.Id)))
        {
            var reordered = Reorder(set, order);
            if (Bound(reordered) <= Bound(set.Tracks))
            {
                (tracks, orderUsed, reason) = (reordered, true, "used");
            }
            else
            {
                reason = "steps_worse";
            }
        }

        reason ??= "kept";
        var used = 0;
        var annotated = tracks.Select(t =>
        {
            if (t.Transition is not { } x || !notes.TryGetValue(t.Id, out var note) || (Says(note, "blend") && !x.Mix.Contains("blend", StringComparison.Ordinal)))
            {
                return t;
            }

            used++;
            return t with { Transition = x with { Note = note } };
        }).ToList();
        var quality = Quality(annotated, set.Quality);
        return (set with { Tracks = annotated, Quality = quality, Review = $"order {reason}; {used} of {Math.Max(0, tracks.Count - 1)} notes used" }, orderUsed, used, reason);
    }

    /// <summary>The tracks the answer lists, in its order, and the note after each, by track id.</summary>
    private static (List<SetTrack> Order, Dictionary<string, string> Notes) Parse(SetResult set, string answer)
    {
        var order = new List<SetTrack>();
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        SetTrack? last = null;
        foreach (var raw in answer.Split('\n'))
        {
            var line = raw.Trim();
            if (Numbered().Match(line) is { Success: true } m)
            {
                var text = m.Groups["text"].Value;
                last = set.Tracks.FirstOrDefault(t => text.StartsWith($"{t.Artist} – {t.Title}", StringComparison.OrdinalIgnoreCase) || text.StartsWith($"{t.Artist} - {t.Title}", StringComparison.OrdinalIgnoreCase));
                order.Add(last ?? Invented);
            }
            else if (last is not null && Note().Match(line) is { Success: true } n)
            {
                notes.TryAdd(last.Id, n.Groups["note"].Value.Trim());
            }
        }

        return (order, notes);
    }

    private static readonly SetTrack Invented = new(0, "", "", "", [], null, null, null, null, [], 0, 0, null);

    private static string? Check(SetResult set, List<SetTrack> order)
    {
        if (order.Count == 0)
        {
            return "no_order";
        }

        if (order.Contains(Invented))
        {
            return "invented_track";
        }

        if (order.Count != set.Tracks.Count || order.DistinctBy(t => t.Id).Count() != order.Count)
        {
            return "tracks_missing_or_repeated";
        }

        return null;
    }

    private static List<SetTrack> Reorder(SetResult set, List<SetTrack> order) =>
        [.. order.Select((t, i) =>
        {
            var next = i + 1 < order.Count ? order[i + 1] : null;
            SetTransition? transition = null;
            if (next is not null)
            {
                var step = t.Bpm is { } a && next.Bpm is { } b ? Math.Round(b - a, 1) : (double?)null;
                var relation = Camelot.Relation(t.Camelot, next.Camelot);
                transition = new SetTransition(step, relation, MixRules.Mix(step, relation));
            }

            return t with { Position = i + 1, TargetBpm = set.Tracks[i].TargetBpm, Transition = transition };
        })];

    // The worst transition: its tempo step, or any key clash counted as a step past smooth.
    private static double Bound(IReadOnlyList<SetTrack> tracks) =>
        tracks.Select(t => t.Transition is { } x ? Math.Max(Math.Abs(x.TempoStep ?? 0), x.KeyRelation == "clash" ? MixRules.SmoothStep + 0.1 : 0) : 0).DefaultIfEmpty(0).Max();

    private static SetQuality Quality(List<SetTrack> tracks, SetQuality before)
    {
        var n = tracks.Count;
        var steps = tracks.Where(t => t.Transition?.TempoStep is not null).Select(t => Math.Abs(t.Transition!.TempoStep!.Value)).ToList();
        return before with
        {
            InTempoShare = n == 0 ? 0 : Math.Round((double)tracks.Count(t => t.Bpm is { } b && Math.Abs(b - t.TargetBpm) <= 4) / n, 3),
            KeyCompatibleShare = n < 2 ? 1 : Math.Round((double)tracks.Count(t => t.Transition is { } x && Camelot.IsCompatible(x.KeyRelation)) / (n - 1), 3),
            LargestStep = steps.Count == 0 ? 0 : steps.Max(),
        };
    }

    private static bool Says(string note, string word) => note.Contains(word, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^(?<n>\d{1,3})[.)]\s+(?<text>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?:→|->|-|–)\s*(?<note>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Note();
}
