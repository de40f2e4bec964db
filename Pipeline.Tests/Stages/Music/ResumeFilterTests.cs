using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Music;

public sealed class ResumeFilterTests
{
    private static readonly DateTimeOffset At = CoreHarness.Epoch;

    private static readonly PipelineEvent[] Logged =
    [
        new TrackFound("j", At, Song("a", 1)),
        new TrackEnriched("j", At, Song("a", 1) with { Bpm = 124 }),
        new LlmDelta("j", At, "Open with "),
        new LlmDelta("j", At, "a"),
    ];

    private static Track Song(string id, int index) => new(id, "t", ["a"], null, null, 1000, null, index);

    [Fact]
    public void Publish_ReRunSaysItAllAgainCutDifferently_OnlyWhatIsNewPassesAndTheTextJoinsUp()
    {
        var log = new RecordingSink();
        var diverged = 0;
        var filter = new ResumeFilter(Logged, log, () => diverged++);

        filter.Publish(new TrackFound("j", At, Song("a", 1)));
        filter.Publish(new TrackFound("j", At, Song("b", 2)));
        filter.Publish(new TrackEnriched("j", At, Song("a", 1) with { Bpm = 124 }));
        filter.Publish(new TrackEnriched("j", At, Song("b", 2) with { Bpm = 126 }));
        filter.Publish(new LlmDelta("j", At, "Open "));
        filter.Publish(new LlmDelta("j", At, "with an"));
        filter.Publish(new LlmDelta("j", At, " opener."));
        filter.Publish(new JobEnded("j", At, JobOutcome.Completed, null));

        Assert.Equal(0, diverged);
        Assert.Equal(["track.found", "track.enriched", "llm.delta", "llm.delta", "job.completed"], log.Events.Select(e => e.Type));
        Assert.Equal(["n", " opener."], log.Events.OfType<LlmDelta>().Select(d => d.Text)); // "Open with a" was streamed: it goes on from there
    }

    [Fact]
    public void Publish_ReRunTextDeparts_DivergedOnceAndNoneOfItPasses()
    {
        var log = new RecordingSink();
        var diverged = 0;
        var filter = new ResumeFilter(Logged, log, () => diverged++);

        filter.Publish(new LlmDelta("j", At, "Start with"));
        filter.Publish(new LlmDelta("j", At, "Open with a")); // after the departure, nothing of the text passes
        filter.Publish(new LlmCompleted("j", At, "Start with"));
        filter.Publish(new JobEnded("j", At, JobOutcome.Failed, "interrupted"));

        Assert.Equal(1, diverged);
        Assert.Equal(["job.failed"], log.Events.Select(e => e.Type));
    }

    [Fact]
    public void Publish_ReRunTextShorterThanWhatWasStreamed_Diverged()
    {
        var log = new RecordingSink();
        var diverged = 0;
        var filter = new ResumeFilter(Logged, log, () => diverged++);

        filter.Publish(new LlmDelta("j", At, "Open "));
        filter.Publish(new LlmCompleted("j", At, "Open "));

        Assert.Equal(1, diverged);
        Assert.Empty(log.Events);
    }
}
