using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Telemetry;

public sealed class PipelineMetricsTests : IDisposable
{
    private readonly CoreHarness _core = new(new Dictionary<string, string?> { ["Pipeline:Jobs:CallBudget"] = "1" });

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task Stage_ItemsWorkedAndShed_RecordedWithStageAndReasonTags()
    {
        using var duration = _core.Collect<double>("pipeline.stage.duration");
        using var shed = _core.Collect<long>("pipeline.items.shed");
        using var depth = _core.Collect<int>("pipeline.stage.queue.depth");
        using var capacity = _core.Collect<int>("pipeline.stage.capacity");
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("enrich", (_, _, _) => new ValueTask<int>(gate.Task),
            new StageOptions { Capacity = 2, MaxDegreeOfParallelism = 1, Overflow = OverflowPolicy.Shed, FairShare = false });
        var job = _core.Jobs.Start();

        stage.Offer(new StageItem<int>(job, 1));
        stage.Offer(new StageItem<int>(job, 2));
        stage.Offer(new StageItem<int>(job, 3));
        await Signals.UntilAsync(() => stage.QueueDepth == 1);
        depth.RecordObservableInstruments();
        capacity.RecordObservableInstruments();
        gate.SetResult(0);
        stage.Complete();
        await stage.Completion.Within();

        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.Equal("enrich", Assert.Single(duration.GetMeasurementSnapshot()).Tags["stage"]); // the second item, fast, untimed
        var refused = Assert.Single(shed.GetMeasurementSnapshot(), m => m.Value > 0); // every reason starts at 0
        Assert.Equal(("enrich", "queue_full"), ((string)refused.Tags["stage"]!, (string)refused.Tags["reason"]!));
        Assert.Equal("{item}", shed.Instrument!.Unit);
        Assert.Equal(1, Assert.Single(depth.GetMeasurementSnapshot()).Value);
        Assert.Equal(2, Assert.Single(capacity.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task StageDuration_ItemsFasterThanSlow_OneWorkerTimesTheFirstThenOneInADoublingStride()
    {
        using var duration = _core.Collect<double>("pipeline.stage.duration");
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("fast", (v, _, _) => v == 0 ? new ValueTask<int>(gate.Task) : new ValueTask<int>(v),
            new StageOptions { Capacity = 1000, MaxDegreeOfParallelism = 1, FairShare = false });
        var job = _core.Jobs.Start();

        for (var i = 0; i < 200; i++)
        {
            stage.Offer(new StageItem<int>(job, i));
        }

        gate.SetResult(0); // every item queued behind the first: one worker takes them all, on a clock that stands still
        stage.Complete();
        await stage.Completion.Within();

        // Timed: items 0, 2, 6, 14, 30, 62, then one in 64 (126, 190).
        Assert.Equal(8, duration.GetMeasurementSnapshot().Count);
        Assert.Equal(200, job.GetStageCounts()["fast"].Passed);
    }

    [Fact]
    public async Task StageDuration_ItemsSlowerThanSlow_EveryOneTimed()
    {
        using var duration = _core.Collect<double>("pipeline.stage.duration");
        var stage = _core.Stages.Create<int, int>("slow", (v, _, _) =>
        {
            _core.FakeTime.Advance(TimeSpan.FromMilliseconds(2));
            return new ValueTask<int>(v);
        }, new StageOptions { Capacity = 1000, MaxDegreeOfParallelism = 1, FairShare = false });
        var job = _core.Jobs.Start();

        for (var i = 0; i < 50; i++)
        {
            stage.Offer(new StageItem<int>(job, i));
        }

        stage.Complete();
        await stage.Completion.Within();

        Assert.Equal(50, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), m => Assert.Equal(0.002, m.Value, 6));
    }

    [Fact]
    public async Task Throttle_PermitsRejectionsAndLanes_RecordedWithLaneTags()
    {
        using var permits = _core.Collect<long>("pipeline.throttle.permits");
        using var wait = _core.Collect<double>("pipeline.throttle.wait.duration");
        using var rejections = _core.Collect<long>("pipeline.throttle.rejections");
        using var inUse = _core.Collect<int>("pipeline.lane.slots.in_use");
        using var configured = _core.Collect<double>("pipeline.throttle.rate.configured");
        var job = _core.Jobs.Start();

        using var lease = await _core.Throttle.AcquireAsync("deezer", job, CancellationToken.None);
        using var refused = await _core.Throttle.AcquireAsync("deezer", job, CancellationToken.None);
        inUse.RecordObservableInstruments();
        configured.RecordObservableInstruments();

        Assert.Equal("deezer", Assert.Single(permits.GetMeasurementSnapshot()).Tags["lane"]);
        Assert.Equal("s", wait.Instrument!.Unit);
        var rejection = Assert.Single(rejections.GetMeasurementSnapshot(), m => m.Value > 0); // the others start at 0
        Assert.Equal(("deezer", "budget_exhausted"), ((string)rejection.Tags["lane"]!, (string)rejection.Tags["reason"]!));
        Assert.Equal(1, inUse.GetMeasurementSnapshot().Single(m => (string)m.Tags["lane"]! == "deezer").Value);
        Assert.Equal(40, Assert.Single(configured.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public void Jobs_StartedAndEnded_ActiveAndOutcomeRecorded()
    {
        using var active = _core.Collect<long>("pipeline.jobs.active");
        using var ended = _core.Collect<long>("pipeline.jobs.ended");
        var job = _core.Jobs.Start();

        Assert.True(_core.Jobs.End(job, JobOutcome.Timeout));
        Assert.False(_core.Jobs.End(job, JobOutcome.Completed));

        Assert.Equal([1L, -1L], active.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal("timeout", Assert.Single(ended.GetMeasurementSnapshot()).Tags["outcome"]);
        Assert.Equal(JobOutcome.Timeout, job.Outcome);
        Assert.True(job.IsStopped);
    }
}
