using System.Text.RegularExpressions;

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
        var quality = SetQuality.Of(annotated, set.Quality.MatchShare);
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
        [.. order.Select((t, i) => t with
        {
            Position = i + 1,
            TargetBpm = set.Tracks[i].TargetBpm,
            Transition = i + 1 < order.Count ? MixRules.Between(t.Bpm, order[i + 1].Bpm, t.Camelot, order[i + 1].Camelot) : null,
        })];

    // The worst transition: its tempo step, or any key clash counted as a step past smooth.
    private static double Bound(IReadOnlyList<SetTrack> tracks) =>
        tracks.Select(t => t.Transition is { } x ? Math.Max(Math.Abs(x.TempoStep ?? 0), x.KeyRelation == "clash" ? MixRules.SmoothStep + 0.1 : 0) : 0).DefaultIfEmpty(0).Max();

    private static bool Says(string note, string word) => note.Contains(word, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^(?<n>\d{1,3})[.)]\s+(?<text>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?:→|->|-|–)\s*(?<note>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Note();
}
