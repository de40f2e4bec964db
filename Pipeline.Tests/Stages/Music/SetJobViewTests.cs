using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Music;

public sealed class SetJobViewTests
{
    private static readonly DateTimeOffset At = CoreHarness.Epoch;

    private static Track Song(string id, int index) => new(id, "t", ["a"], null, null, 1000, null, index);

    [Fact]
    public void Snapshot_AfterAJobsEvents_TracksInCandidateOrderEnrichedTextJoinedLatestCounts()
    {
        var view = new SetJobView(deadLetterLimit: 10);

        view.Publish(new TrackFound("j", At, Song("b", 2)));
        view.Publish(new TrackFound("j", At, Song("a", 1)));
        view.Publish(new TrackEnriched("j", At, Song("b", 2) with { Bpm = 124 }));
        view.Publish(new TrackFound("j", At, Song("b", 2))); // found again: the enriched one stays
        view.Publish(new StageProgress("j", At, new Dictionary<string, StageCounts> { ["search"] = new(1, 1, 0, 0, 0, 0) }));
        view.Publish(new StageProgress("j", At, new Dictionary<string, StageCounts> { ["search"] = new(2, 2, 0, 0, 0, 0) }));
        view.Publish(new LlmDelta("j", At, "Open "));
        view.Publish(new LlmDelta("j", At, "wide."));

        var snapshot = view.Snapshot();
        Assert.Equal(["a", "b"], snapshot.Tracks.Select(t => t.Id));
        Assert.Equal(124, snapshot.Tracks[1].Bpm);
        Assert.Equal("Open wide.", snapshot.LlmText);
        Assert.Equal(2, snapshot.Stages["search"].Offered);
        Assert.Null(snapshot.Set);
    }

    [Fact]
    public void Snapshot_MoreDeadLettersThanTheBound_KeepsTheFirstWithOneVocabulary()
    {
        var view = new SetJobView(deadLetterLimit: 2);

        view.Publish(new ItemShed("j", At, "search", "buffer_full", "x"));
        view.Publish(new ItemFailed("j", At, "enrichment", "upstream_error", "502", "y", "lastfm"));
        view.Publish(new ItemShed("j", At, "search", "buffer_full", "z"));

        var letters = view.Snapshot().DeadLetters;
        Assert.Equal(["x", "y"], letters.Select(d => d.Item));
        Assert.Equal(["shed", "failed"], letters.Select(d => d.Outcome)); // the core's one mapping (DeadLetter.Of)
    }
}
