using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// Selects a set from the pool and orders it along the intent's tempo curve, deterministically. The objective adds,
/// per position, the distance of the track's folded tempo from the curve and its misfit penalty, and per transition
/// its cost (<see cref="MixRules"/>). A greedy fill along the curve is improved by local search (swaps, replacements
/// from the pool, 2-opt reversals and single moves) until no move helps. A duration target is met within one track.
/// </summary>
internal static class SetSequencer
{
    private const int MaxPasses = 60;

    /// <summary>Partial sets the beam search keeps at each position.</summary>
    private const int BeamWidth = 96;

    /// <summary>Within this many BPM of the curve a track counts as in tempo.</summary>
    public const double InTempo = 4;

    /// <summary>The band of a curve the sequencer chose itself (no tempo asked): keys and steps weigh more than the exact tempo.</summary>
    private const double DerivedBand = 6;

    /// <summary>The weight of the distance from a curve the sequencer chose itself: its shape is a guide, the steps and keys come first.</summary>
    private const double DerivedWeight = 0.6;

    public static SetResult Sequence(IReadOnlyList<Track> pool, SetIntent intent)
    {
        var all = pool.Select(t => CandidateFit.Of(t, intent)).ToList();
        var timed = all.Where(c => c.Track.Bpm is > 0).ToList();
        var fitting = timed.Where(c => c.Fits).ToList();
        var wanted = intent.TrackCount;
        if (intent.DurationMinutes is { } minutes && timed.Count > 0)
        {
            wanted = (int)Math.Ceiling(minutes * 60_000.0 / timed.Average(c => c.Track.DurationMs));
        }

        // Room to choose, and to add a track or two for a duration.
        var room = intent.DurationMinutes is null ? wanted : wanted + 3;
        string? shortfall = null;
        var usable = timed;
        var broadly = timed.Where(c => c.FitsBroadly).ToList();
        if (Capacity(fitting) >= Math.Min(room, Capacity(timed)))
        {
            usable = fitting;
        }
        else if (broadly.Count > fitting.Count && Capacity(broadly) >= Math.Min(room, Capacity(timed)))
        {
            usable = broadly;
            var parents = intent.Styles.Select(IntentParser.StyleNamed).Select(s => s?.Parent).OfType<string>().Distinct();
            shortfall = Shortfall(intent, fitting.Count, wanted) + $" They are {string.Join(" / ", parents)}.";
        }
        else if (timed.Count > 0)
        {
            shortfall = Shortfall(intent, fitting.Count, wanted);
        }

        // Tracks in the mood asked, when they leave the order ample choice (no ballad in a workout set); with fewer,
        // the mood weighs in the order's cost only, for the steps and keys to stay smooth.
        var inMood = usable.Where(c => c.Seed || c.InMood).ToList();
        if (inMood.Count < usable.Count && Capacity(inMood) >= 2 * room)
        {
            usable = inMood;
        }

        // Tracks that can sit on the curve, when there are enough of them: the set is chosen among these.
        var curve = CurveFor(intent, usable.Count > 0 ? usable : timed, wanted);
        var onCurve = usable.Where(c => c.Seed || OffCurve(c, curve) <= InTempo).ToList();
        if (intent.Tempo is null && Capacity(onCurve) < Math.Min(room, Capacity(usable)))
        {
            // No tempo asked and the pool's tempos spread wider than the curve (rock, R&B): a journey across the middle
            // of its tempos instead (one rise, so each stretch of tempo is used once), so the set follows its material rather
            // than straining for a narrow band.
            curve = Spread(curve, usable, intent);
            onCurve = usable.Where(c => c.Seed || OffCurve(c, curve) <= InTempo).ToList();
        }

        if (Capacity(onCurve) >= Math.Min(room, Capacity(usable)))
        {
            usable = onCurve;
        }
        else if (intent.Tempo is not null && shortfall is null)
        {
            shortfall = $"The pool had {onCurve.Count} matching tracks within ±{InTempo} BPM of the curve ({curve}) for a set of {wanted}; the others are the nearest tempos it had.";
        }

        var order = Optimize(usable, curve, Math.Min(wanted, usable.Count));
        if (intent.DurationMinutes is { } target)
        {
            order = MeetDuration(usable, curve, order, target * 60_000L);
        }

        return Result(all, order, curve, shortfall, intent);
    }

    /// <summary>The sum of transition costs of an order on a curve: the figure the sequencer and a greedy order are compared by.</summary>
    public static double TransitionCost(IReadOnlyList<Candidate> order, TempoCurve curve)
    {
        var cost = 0.0;
        for (var i = 0; i + 1 < order.Count; i++)
        {
            cost += Transition(order[i], i, order[i + 1], i + 1, order.Count, curve);
        }

        return cost;
    }

    /// <summary>The greedy nearest-neighbour order: from the slowest, each next track the cheapest step from the last.</summary>
    public static List<Candidate> Greedy(IReadOnlyList<Candidate> tracks, TempoCurve curve)
    {
        var left = tracks.ToList();
        var center = (curve.Min + curve.Max) / 2;
        var current = left.OrderBy(c => TempoCurve.Fold(c.Bpm, center)).First();
        var order = new List<Candidate> { current };
        left.Remove(current);
        while (left.Count > 0)
        {
            var from = current;
            var i = order.Count - 1;
            current = left.OrderBy(c => Transition(from, i, c, i + 1, tracks.Count, curve)).First();
            order.Add(current);
            left.Remove(current);
        }

        return order;
    }

    /// <summary>The selected candidates of a pool, for comparing orders on the same tracks.</summary>
    public static (List<Candidate> Order, TempoCurve Curve) Select(IReadOnlyList<Track> pool, SetIntent intent)
    {
        var result = Sequence(pool, intent);
        var byId = pool.ToDictionary(t => t.Id, StringComparer.Ordinal);
        return ([.. result.Tracks.Select(t => CandidateFit.Of(byId[t.Id], intent))], result.Curve);
    }

    private static TempoCurve CurveFor(SetIntent intent, IReadOnlyList<Candidate> candidates, int count)
    {
        var style = intent.Styles.Select(IntentParser.StyleNamed).FirstOrDefault(s => s?.TempoLow is not null);
        if (intent.Tempo is { } asked)
        {
            return (asked.Shape, intent.Shape) switch
            {
                (TempoCurve.Flat, Mood.WarmUp) => asked with { From = asked.From - 6, Shape = TempoCurve.Ramp, Band = 2 },
                (TempoCurve.Flat, Mood.CoolDown) => asked with { To = asked.From - 8, Shape = TempoCurve.Ramp, Band = 2 },
                _ => asked,
            };
        }

        // No tempo asked: the style's own range places the fold, the pool's median tempo the curve, and a wide band
        // leaves the order to the steps and keys.
        var reference = style is { TempoLow: { } low, TempoHigh: { } high } ? (low + high) / 2 : Percentile(candidates.Select(c => c.Bpm), 0.5);
        var folded = candidates.Select(c => TempoCurve.Fold(c.Bpm, reference)).ToList();
        var center = Math.Round(Percentile(folded, 0.5));
        var (from, to) = (center - 4, center + 4);

        var derived = intent.Shape switch
        {
            Mood.WarmUp => new TempoCurve(from - 2, center, TempoCurve.Ramp, DerivedBand),
            Mood.CoolDown => new TempoCurve(center, from - 2, TempoCurve.Ramp, DerivedBand),
            Mood.PeakTime => new TempoCurve(Math.Round((center + to) / 2), Math.Round((center + to) / 2), TempoCurve.Flat, DerivedBand),
            _ when count >= 25 || intent.DurationMinutes >= 90 => new TempoCurve(from, to, TempoCurve.Arc, DerivedBand),
            _ => new TempoCurve(from, to, TempoCurve.Ramp, DerivedBand),
        };
        return derived with { Weight = DerivedWeight };
    }

    private static TempoCurve Spread(TempoCurve curve, IReadOnlyList<Candidate> usable, SetIntent intent)
    {
        var center = (curve.Min + curve.Max) / 2;
        var folded = usable.Select(c => TempoCurve.Fold(c.Bpm, center)).ToList();
        var (low, high) = (Math.Round(Percentile(folded, 0.2)), Math.Round(Percentile(folded, 0.8)));
        return intent.Shape == Mood.CoolDown
            ? curve with { From = high, To = low, Shape = TempoCurve.Ramp }
            : curve with { From = low, To = high, Shape = curve.Shape == TempoCurve.Flat ? TempoCurve.Flat : TempoCurve.Ramp };
    }

    private static double Percentile(IEnumerable<double> values, double share)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 120 : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(sorted.Count * share))];
    }

    /// <summary>Tracks a list can give a set under the per-artist limit.</summary>
    private static int Capacity(IEnumerable<Candidate> candidates) => candidates.GroupBy(c => c.ArtistKey).Sum(g => Math.Min(MixRules.MaxPerArtist, g.Count()));

    private static string Shortfall(SetIntent intent, int fitting, int wanted)
    {
        var kind = string.Join(" ", new[] { intent.HasYears ? intent.YearFrom == intent.YearTo ? $"{intent.YearFrom}" : $"{intent.YearFrom}–{intent.YearTo}" : null, intent.Styles.Count > 0 ? string.Join(" / ", intent.Styles) : null }.OfType<string>());
        return $"The catalog had {fitting} {kind} tracks with a known tempo for a set of {wanted}; the other {wanted - fitting} are the closest it had.";
    }

    /// <summary>A beam search along the curve (the best partial sets kept at each position), then local search to polish it.</summary>
    private static List<Candidate> Optimize(IReadOnlyList<Candidate> usable, TempoCurve curve, int n) =>
        n <= 0 ? [] : Improve(usable, curve, Beam(usable, curve, n));

    private static List<Candidate> Improve(IReadOnlyList<Candidate> usable, TempoCurve curve, List<Candidate> order)
    {
        var n = order.Count; // fewer than asked when every artist left is at its limit
        var used = new HashSet<Candidate>(order);
        var perArtist = order.GroupBy(c => c.ArtistKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            var improved = false;
            // Replace a track with an unused one of the pool.
            for (var i = 0; i < n; i++)
            {
                var before = Around(order, i, curve);
                Candidate? best = null;
                var bestDelta = -1e-9;
                foreach (var u in usable)
                {
                    if (used.Contains(u) || (u.ArtistKey != order[i].ArtistKey && perArtist.GetValueOrDefault(u.ArtistKey) >= MixRules.MaxPerArtist))
                    {
                        continue;
                    }

                    var old = order[i];
                    order[i] = u;
                    var delta = Around(order, i, curve) - before;
                    order[i] = old;
                    if (delta < bestDelta)
                    {
                        (best, bestDelta) = (u, delta);
                    }
                }

                if (best is not null)
                {
                    used.Remove(order[i]);
                    perArtist[order[i].ArtistKey]--;
                    order[i] = best;
                    used.Add(best);
                    perArtist[best.ArtistKey] = perArtist.GetValueOrDefault(best.ArtistKey) + 1;
                    improved = true;
                }
            }

            // Swap two positions.
            for (var i = 0; i < n; i++)
            {
                for (var j = i + 1; j < n; j++)
                {
                    var before = Around(order, i, curve) + Around(order, j, curve) - (j == i + 1 ? Pair(order, i, curve) : 0);
                    (order[i], order[j]) = (order[j], order[i]);
                    var after = Around(order, i, curve) + Around(order, j, curve) - (j == i + 1 ? Pair(order, i, curve) : 0);
                    if (after < before - 1e-9)
                    {
                        improved = true;
                    }
                    else
                    {
                        (order[i], order[j]) = (order[j], order[i]);
                    }
                }
            }

            // Reverse a stretch (2-opt).
            for (var i = 0; i < n - 1; i++)
            {
                for (var j = i + 2; j < n; j++)
                {
                    var before = Span(order, i, j, curve);
                    order.Reverse(i, j - i + 1);
                    if (Span(order, i, j, curve) < before - 1e-9)
                    {
                        improved = true;
                    }
                    else
                    {
                        order.Reverse(i, j - i + 1);
                    }
                }
            }

            // Move one track elsewhere (or-opt).
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    if (Math.Abs(i - j) < 2)
                    {
                        continue;
                    }

                    var (lo, hi) = (Math.Min(i, j), Math.Max(i, j));
                    var before = Span(order, lo, hi, curve);
                    var moved = order[i];
                    order.RemoveAt(i);
                    order.Insert(j, moved);
                    if (Span(order, lo, hi, curve) < before - 1e-9)
                    {
                        improved = true;
                    }
                    else
                    {
                        order.RemoveAt(j);
                        order.Insert(i, moved);
                    }
                }
            }

            if (!improved)
            {
                break;
            }
        }

        return order;
    }

    /// <summary>
    /// Fills the positions in order, keeping the <see cref="BeamWidth"/> cheapest partial sets (place, misfit and
    /// transition costs so far) and extending each by every unused track its artists' limit allows: a dynamic
    /// programme over the curve whose state is cut to the best few.
    /// </summary>
    private static List<Candidate> Beam(IReadOnlyList<Candidate> usable, TempoCurve curve, int n)
    {
        var artists = usable.Select(c => c.ArtistKey).Distinct().Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i, StringComparer.Ordinal);
        var artistOf = usable.Select(c => artists[c.ArtistKey]).ToArray();
        var beam = new List<BeamNode> { new(-1, null, 0, new ulong[(usable.Count + 63) / 64], new byte[artists.Count], 0) };
        var steps = new List<(double Cost, BeamNode From, int Next)>();
        for (var i = 0; i < n; i++)
        {
            steps.Clear();
            foreach (var node in beam)
            {
                for (var c = 0; c < usable.Count; c++)
                {
                    if ((node.Used[c >> 6] & (1UL << (c & 63))) != 0 || node.PerArtist[artistOf[c]] >= MixRules.MaxPerArtist)
                    {
                        continue;
                    }

                    var cost = node.Cost + Place(usable[c], i, n, curve) + (node.Track >= 0 ? Transition(usable[node.Track], i - 1, usable[c], i, n, curve) : 0);
                    steps.Add((cost, node, c));
                }
            }

            if (steps.Count == 0)
            {
                break; // every artist left is at its limit: the set is as long as the pool allows
            }

            beam = [.. steps.OrderBy(s => s.Cost).ThenBy(s => s.Next).Take(BeamWidth).Select(s => s.From.Then(s.Next, artistOf[s.Next], s.Cost))];
        }

        var order = new List<Candidate>(n);
        for (var node = beam[0]; node.Track >= 0; node = node.Parent!)
        {
            order.Add(usable[node.Track]);
        }

        order.Reverse();
        return order;
    }

    private sealed record BeamNode(int Track, BeamNode? Parent, double Cost, ulong[] Used, byte[] PerArtist, int Length)
    {
        public BeamNode Then(int track, int artist, double cost)
        {
            var used = (ulong[])Used.Clone();
            used[track >> 6] |= 1UL << (track & 63);
            var perArtist = (byte[])PerArtist.Clone();
            perArtist[artist]++;
            return new BeamNode(track, this, cost, used, perArtist, Length + 1);
        }
    }

    private static List<Candidate> MeetDuration(List<Candidate> usable, TempoCurve curve, List<Candidate> order, long targetMs)
    {
        for (var attempt = 0; attempt < 6 && order.Count > 0; attempt++)
        {
            var total = order.Sum(c => (long)c.Track.DurationMs);
            var longest = order.Max(c => c.Track.DurationMs);
            if (Math.Abs(total - targetMs) <= longest)
            {
                break;
            }

            var n = order.Count + (total < targetMs ? 1 : -1);
            if (n < 1 || n > usable.Count)
            {
                break;
            }

            order = Optimize(usable, curve, n);
        }

        return order;
    }

    // The cost a position holds: its own place and the transitions on both sides.
    private static double Around(List<Candidate> order, int i, TempoCurve curve)
    {
        var n = order.Count;
        var cost = Place(order[i], i, n, curve);
        if (i > 0)
        {
            cost += Transition(order[i - 1], i - 1, order[i], i, n, curve);
        }

        if (i + 1 < n)
        {
            cost += Transition(order[i], i, order[i + 1], i + 1, n, curve);
        }

        return cost;
    }

    private static double Pair(List<Candidate> order, int i, TempoCurve curve) => Transition(order[i], i, order[i + 1], i + 1, order.Count, curve);

    // The cost of positions lo..hi and the transitions into, inside and out of them.
    private static double Span(List<Candidate> order, int lo, int hi, TempoCurve curve)
    {
        var n = order.Count;
        var cost = 0.0;
        for (var i = lo; i <= hi; i++)
        {
            cost += Place(order[i], i, n, curve);
        }

        for (var i = Math.Max(0, lo - 1); i < Math.Min(n - 1, hi + 1); i++)
        {
            cost += Transition(order[i], i, order[i + 1], i + 1, n, curve);
        }

        return cost;
    }

    /// <summary>How far the closest reading of a track's tempo lies outside the curve's range.</summary>
    private static double OffCurve(Candidate c, TempoCurve curve)
    {
        var best = double.MaxValue;
        foreach (var reading in (ReadOnlySpan<double>)[c.Bpm, c.Bpm / 2, c.Bpm * 2])
        {
            best = Math.Min(best, Math.Abs(reading - Math.Clamp(reading, curve.Min, curve.Max)));
        }

        return best;
    }

    private static double Reading(Candidate c, int i, int n, TempoCurve curve) => TempoCurve.Fold(c.Bpm, curve.At(i, n));

    private static double Place(Candidate c, int i, int n, TempoCurve curve)
    {
        var distance = Math.Abs(Reading(c, i, n, curve) - curve.At(i, n));
        var off = distance - curve.Band;
        // Past the in-tempo bound a track stops counting as on the curve: a cliff, not a slope.
        return c.Penalty + (curve.Weight * ((off > 0 ? (4 * off) + (0.4 * off * off) : 0) + (distance > InTempo ? 12 : 0)));
    }

    private static double Transition(Candidate a, int i, Candidate b, int j, int n, TempoCurve curve) =>
        MixRules.Cost(Reading(a, i, n, curve), Reading(b, j, n, curve), a.Track.Camelot, b.Track.Camelot, a.Energy, b.Energy, a.ArtistKey == b.ArtistKey);

    private static SetResult Result(IReadOnlyList<Candidate> all, List<Candidate> order, TempoCurve curve, string? shortfall, SetIntent intent)
    {
        var n = order.Count;
        var tracks = new List<SetTrack>(n);
        var readings = order.Select((c, i) => Reading(c, i, n, curve)).ToList();
        for (var i = 0; i < n; i++)
        {
            var t = order[i].Track;
            var transition = i + 1 < n ? MixRules.Between(readings[i], readings[i + 1], t.Camelot, order[i + 1].Track.Camelot) : null;
            tracks.Add(new SetTrack(i + 1, t.Id, $"spotify:track:{t.Id}", t.Title, t.Artists, Math.Round(readings[i], 1), t.Camelot, t.Features?.Energy, t.ReleaseYear, t.Tags, t.DurationMs, Math.Round(curve.At(i, n), 1), transition));
        }

        var quality = SetQuality.Of(tracks, n == 0 ? 0 : Math.Round((double)order.Count(c => c.Fits) / n, 3));

        var chosen = order.Select(c => c.Track.Id).ToHashSet(StringComparer.Ordinal);
        var perArtist = order.GroupBy(c => c.ArtistKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var left = all.Where(c => !chosen.Contains(c.Track.Id))
            .Select(c => new LeftOutTrack(c.Track.Id, c.Track.ToString(), Why(c, perArtist, curve)))
            .ToList();
        var rejected = left.GroupBy(l => l.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new SetResult(tracks, quality, curve, shortfall, rejected, left);
    }

    private static string Why(Candidate c, Dictionary<string, int> perArtist, TempoCurve curve) => c switch
    {
        { Track.Bpm: null or <= 0 } => "no_tempo",
        { StyleMatch: false } => "style",
        { DecadeMatch: false } => "decade",
        _ when perArtist.GetValueOrDefault(c.ArtistKey) >= MixRules.MaxPerArtist => "artist_limit",
        _ when OffCurve(c, curve) > InTempo => "tempo",
        { InMood: false } => "mood",
        _ => "surplus",
    };
}
