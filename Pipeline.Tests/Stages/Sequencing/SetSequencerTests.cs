using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Tests.Stages.Sequencing;

public sealed class SetSequencerTests
{
    // A pool of 60 house tracks at 118–134 BPM (some read double or half), every key, a few artists twice.
    private static readonly IReadOnlyList<Track> Pool = [.. Enumerable.Range(0, 60).Select(i =>
    {
        var bpm = 118 + ((i * 7) % 17);
        var reading = i % 10 == 3 ? bpm / 2.0 : bpm;
        var key = (i * 5) % 12;
        return new Track($"id{i}", $"Song {i}", [$"Artist {i % 45}"], null, "2015-01-01", 180_000 + (i * 1000), null, i + 1)
        {
            Features = new AudioFeatures($"id{i}", reading, key, i % 2, 0.6 + ((i % 5) * 0.05), 0.7, 0.5, -6),
            Bpm = reading,
            Camelot = Camelot.From(key, i % 2),
            Tags = ["house", "electronic"],
        };
    })];

    [Fact]
    public void Sequence_SamePool_SameSet()
    {
        var intent = SetIntent.Of(new SetRequest("a 126 BPM house set", TrackCount: 20));

        var first = SetSequencer.Sequence(Pool, intent);
        var second = SetSequencer.Sequence([.. Pool], intent);

        Assert.Equal(first.Tracks.Select(t => (t.Id, t.Bpm, t.Transition)), second.Tracks.Select(t => (t.Id, t.Bpm, t.Transition)));
    }

    [Fact]
    public void Sequence_FlatTarget_OnTheCurveSmoothStepsTwoPerArtistAndReasonsForTheRest()
    {
        var set = SetSequencer.Sequence(Pool, SetIntent.Of(new SetRequest("a 126 BPM house set", TrackCount: 20)));

        Assert.Equal(20, set.Tracks.Count);
        Assert.True(set.Quality.InTempoShare >= 0.9, $"{set.Quality.InTempoShare}");
        Assert.True(set.Quality.LargestStep <= 6, $"{set.Quality.LargestStep}");
        Assert.Contains(set.Tracks, t => Pool.Single(p => p.Id == t.Id).Bpm < 70 && t.Bpm > 110); // half time read double
        Assert.All(set.Tracks.GroupBy(t => t.Artist), g => Assert.True(g.Count() <= 2));
        Assert.Equal(Pool.Count - 20, set.LeftOut.Count);
        Assert.Equal(set.LeftOut.Count, set.Rejected.Values.Sum());
        Assert.All(set.Tracks.SkipLast(1), t => Assert.NotNull(t.Transition));
        Assert.Null(set.Tracks[^1].Transition);
    }

    [Fact]
    public void Sequence_Ramp_TempoRisesAlongTheSet()
    {
        var set = SetSequencer.Sequence(Pool, SetIntent.Of(new SetRequest("house from 118 to 132 bpm", TrackCount: 15)));

        Assert.Equal(TempoCurve.Ramp, set.Curve.Shape);
        Assert.True(set.Tracks[^1].Bpm - set.Tracks[0].Bpm >= 8, $"{set.Tracks[0].Bpm} → {set.Tracks[^1].Bpm}");
    }

    [Fact]
    public void Sequence_Duration_MetWithinOneTrack()
    {
        var set = SetSequencer.Sequence(Pool, SetIntent.Of(new SetRequest("house", DurationMinutes: 60)));

        Assert.InRange(set.Quality.DurationMs, 3_600_000 - set.Tracks.Max(t => t.DurationMs), 3_600_000 + set.Tracks.Max(t => t.DurationMs));
    }

    [Fact]
    public void Sequence_WorkoutWithAmpleEnergeticTracks_LeavesTheCalmOnesOutForTheirMood()
    {
        // Tracks a little calm for a workout (0.6) that would mix perfectly (one key) beside energetic ones in every key.
        IReadOnlyList<Track> pool = [.. Enumerable.Range(0, 60).Select(i =>
        {
            var calm = i % 3 == 0;
            var key = calm ? 5 : (i * 5) % 12;
            return new Track($"id{i}", $"Song {i}", [$"Artist {i}"], null, "2015-01-01", 200_000, null, i + 1)
            {
                Features = new AudioFeatures($"id{i}", 126, key, i % 2, calm ? 0.6 : 0.8, 0.7, 0.5, -6),
                Bpm = 126,
                Camelot = Camelot.From(key, calm ? 1 : i % 2),
                Tags = ["house"],
            };
        })];

        var set = SetSequencer.Sequence(pool, SetIntent.Of(new SetRequest("a 126 BPM house workout", TrackCount: 15)));

        Assert.Equal(15, set.Tracks.Count);
        Assert.All(set.Tracks, t => Assert.Equal(0.8, t.Energy));
        Assert.Equal(20, set.Rejected["mood"]);
    }

    [Fact]
    public void Sequence_ComparedWithGreedyNearestNeighbour_CostsLessOnTheSameTracks()
    {
        var (order, curve) = SetSequencer.Select(Pool, SetIntent.Of(new SetRequest("house", TrackCount: 30)));

        var sequenced = SetSequencer.TransitionCost(order, curve);
        var greedy = SetSequencer.TransitionCost(SetSequencer.Greedy(order, curve), curve);

        Assert.True(sequenced < greedy, $"sequencer {sequenced:0.0}, greedy {greedy:0.0}");
    }

    [Fact]
    public void Review_ModelAnswerThatInventsATrack_OrderRefusedNotesKept()
    {
        var set = SetSequencer.Sequence(Pool, SetIntent.Of(new SetRequest("a 126 BPM house set", TrackCount: 3)));
        var t = set.Tracks;
        var answer = $"1. {t[1].Artist} – {t[1].Title}\n→ a smooth blend\n2. Nobody – Invented\n3. {t[0].Artist} – {t[0].Title}\n";

        var (reviewed, orderUsed, _, reason) = SetReview.Apply(set, answer);

        Assert.False(orderUsed);
        Assert.Equal("invented_track", reason);
        Assert.Equal(t.Select(x => x.Id), reviewed.Tracks.Select(x => x.Id));
    }
}
