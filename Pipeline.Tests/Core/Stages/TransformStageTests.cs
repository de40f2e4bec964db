using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Stages;

public sealed class TransformStageTests : IDisposable
{
    private readonly CoreHarness _core = new(time: TimeProvider.System);

    public void Dispose() => _core.Dispose();

    private Stage<int, int> Sink(ConcurrentQueue<int> received, string name = "sink") =>
        _core.Stages.CreateAction<int>(name, (value, _, _) =>
        {
            received.Enqueue(value);
            return ValueTask.CompletedTask;
        }, new StageOptions { Capacity = 1000, MaxDegreeOfParallelism = 1 });

    [Fact]
    public async Task Offer_ConcurrentProducersIntoFullShedStage_OfferedEqualsAcceptedPlusShedExactly()
    {
        using var offered = _core.Collect<long>("pipeline.stage.items.offered");
        using var accepted = _core.Collect<long>("pipeline.stage.items.in");
        using var shed = _core.Collect<long>("pipeline.items.shed");
        using var passed = _core.Collect<long>("pipeline.stage.items.out");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("work", async (v, _, _) =>
        {
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 8, MaxDegreeOfParallelism = 2, Overflow = OverflowPolicy.Shed, FairShare = false });
        var jobs = Enumerable.Range(0, 4).Select(_ => _core.Jobs.Start()).ToArray();

        var results = await Task.WhenAll(jobs.Select(job => Task.Run(() =>
            Enumerable.Range(0, 500).Select(i => stage.Offer(new StageItem<int>(job, i))).ToList()))).Within();
        gate.SetResult();
        stage.Complete();
        await stage.Completion.Within();

        var all = results.SelectMany(r => r).ToList();
        var taken = all.Count(r => r.Accepted);
        foreach (var observed in new[] { offered, accepted, passed })
        {
            observed.RecordObservableInstruments(); // the per-item counts are observed from the stage's totals
        }

        Assert.Equal(2000, all.Count);
        Assert.InRange(taken, 8, 2000 - 1);
        Assert.All(all.Where(r => !r.Accepted), r => Assert.Equal(ShedReason.QueueFull, r.Reason));
        Assert.Equal(2000, offered.LastMeasurement?.Value);
        Assert.Equal(taken, accepted.LastMeasurement?.Value);
        Assert.Equal(2000 - taken, shed.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(taken, passed.LastMeasurement?.Value);
        var counts = jobs.Select(j => j.GetStageCounts()["work"]).ToList();
        Assert.All(counts, c => Assert.Equal(500, c.Offered));
        Assert.Equal(taken, counts.Sum(c => c.Accepted));
        Assert.All(counts, c => Assert.Equal(c.Accepted, c.Passed));
        Assert.All(counts, c => Assert.Equal(0, c.InStage));
        Assert.Equal(0, stage.InStage);
    }

    [Fact]
    public async Task Work_ThrowsForOneItem_ItemFailedAndTheStageGoesOn()
    {
        var received = new ConcurrentQueue<int>();
        var sink = new RecordingSink();
        using var failed = _core.Collect<long>("pipeline.items.failed");
        var stage = _core.Stages.Create<int, int>("work", (v, _, _) => v switch
        {
            3 => throw new ItemFailedException("bad_input", "three is not allowed"),
            5 => throw new InvalidOperationException("boom"),
            _ => ValueTask.FromResult(v * 10),
        }, new StageOptions { MaxDegreeOfParallelism = 2 });
        var end = stage.LinkTo(Sink(received));
        var job = _core.Jobs.Start(sink);

        for (var i = 1; i <= 6; i++)
        {
            Assert.True((await stage.OfferAsync(new StageItem<int>(job, i), CancellationToken.None)).Accepted);
        }

        stage.Complete();
        await end.Completion.Within();

        Assert.Equal([10, 20, 40, 60], received.Order());
        var reasons = failed.GetMeasurementSnapshot().Where(m => m.Value > 0).Select(m => (string)m.Tags["reason"]!).Order();
        Assert.Equal(["bad_input", "error"], reasons);
        var letters = sink.DeadLetters.Snapshot().OrderBy(d => d.Item).ToList();
        Assert.Equal(["3", "5"], letters.Select(d => d.Item));
        Assert.Equal("three is not allowed", letters[0].Detail);
        Assert.All(letters, d => Assert.Equal(("work", "failed"), (d.Stage, d.Outcome)));
        Assert.Equal(2, sink.Events.OfType<ItemFailed>().Count());
        Assert.Equal(new StageCounts(6, 6, 0, 4, 2, 0), job.GetStageCounts()["work"]);
    }

    [Fact]
    public async Task Offer_JobCancelledWhileItsItemsQueued_TheirWorkNeverRuns()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = new ConcurrentQueue<string>();
        var stage = _core.Stages.Create<string, string>("work", async (v, _, _) =>
        {
            ran.Enqueue(v);
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 16, MaxDegreeOfParallelism = 1, FairShare = false });
        var sink = new RecordingSink();
        var cancelled = _core.Jobs.Start(sink);
        var other = _core.Jobs.Start();
        Assert.True(stage.Offer(new StageItem<string>(other, "other-0")).Accepted);
        await Signals.UntilAsync(() => ran.Count == 1);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(stage.Offer(new StageItem<string>(cancelled, $"cancelled-{i}")).Accepted);
        }

        Assert.True(stage.Offer(new StageItem<string>(other, "other-1")).Accepted);

        cancelled.Cancel();
        gate.SetResult();
        stage.Complete();
        await stage.Completion.Within();

        Assert.Equal(["other-0", "other-1"], ran);
        Assert.Equal(new StageCounts(5, 5, 0, 0, 0, 5), cancelled.GetStageCounts()["work"]);
        Assert.Empty(sink.DeadLetters.Snapshot());
    }

    [Fact]
    public async Task Completion_TwoUpstreams_CompletesOnlyAfterBoth()
    {
        var received = new ConcurrentQueue<int>();
        var left = _core.Stages.Create<int, int>("left", (v, _, _) => ValueTask.FromResult(v));
        var right = _core.Stages.Create<int, int>("right", (v, _, _) => ValueTask.FromResult(v));
        var join = Sink(received, "join");
        left.LinkTo(join);
        right.LinkTo(join);
        var job = _core.Jobs.Start();

        await left.OfferAsync(new StageItem<int>(job, 1), CancellationToken.None);
        left.Complete();
        await left.Completion.Within();
        await right.OfferAsync(new StageItem<int>(job, 2), CancellationToken.None);
        await Signals.UntilAsync(() => received.Count == 2);

        Assert.False(join.Completion.IsCompleted);
        right.Complete();
        await join.Completion.Within();
        Assert.Equal([1, 2], received.Order());
    }

    [Fact]
    public async Task LinkTo_TwoStages_EveryOutputReachesBothAndEachCountsItsOwnOffers()
    {
        var left = new ConcurrentQueue<int>();
        var right = new ConcurrentQueue<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("split", (v, _, _) => ValueTask.FromResult(v * 10));
        var fast = stage.LinkTo(Sink(left, "left"));
        var slow = stage.LinkTo(_core.Stages.CreateAction<int>("right", async (v, _, _) =>
        {
            await gate.Task;
            right.Enqueue(v);
        }, new StageOptions { Capacity = 2, MaxDegreeOfParallelism = 1, Overflow = OverflowPolicy.Wait, FairShare = false }));
        var job = _core.Jobs.Start();

        for (var i = 1; i <= 6; i++)
        {
            Assert.True((await stage.OfferAsync(new StageItem<int>(job, i), CancellationToken.None)).Accepted);
        }

        // The slow branch holds two and waits for room: the fast one has what was offered before the wait.
        await Signals.UntilAsync(() => left.Count >= 2 && slow.InStage == 2);
        Assert.False(fast.Completion.IsCompleted);
        gate.SetResult();
        stage.Complete();
        await Task.WhenAll(fast.Completion, slow.Completion).Within();

        Assert.Equal([10, 20, 30, 40, 50, 60], left.Order());
        Assert.Equal([10, 20, 30, 40, 50, 60], right.Order());
        var counts = job.GetStageCounts();
        Assert.Equal(new StageCounts(6, 6, 0, 6, 0, 0), counts["left"]);
        Assert.Equal(new StageCounts(6, 6, 0, 6, 0, 0), counts["right"]);
        Assert.Equal(0, job.InFlight);
    }

    [Fact]
    public void LinkTo_SameStageTwice_Throws()
    {
        var stage = _core.Stages.Create<int, int>("split", (v, _, _) => ValueTask.FromResult(v));
        var sink = stage.LinkTo(Sink(new ConcurrentQueue<int>()));

        var thrown = Assert.Throws<InvalidOperationException>(() => stage.LinkTo(sink));

        Assert.Equal("Stage 'split' is already linked to 'sink'.", thrown.Message);
    }

    [Fact]
    public async Task Completion_OneUpstreamFaults_DownstreamFaultsWithoutWaitingForTheOther()
    {
        var left = _core.Stages.Create<int, int>("left", (v, _, _) => ValueTask.FromResult(v));
        var right = _core.Stages.Create<int, int>("right", (v, _, _) => ValueTask.FromResult(v));
        var join = Sink(new ConcurrentQueue<int>(), "join");
        left.LinkTo(join);
        right.LinkTo(join);

        left.Fault(new InvalidOperationException("upstream broke"));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => join.Completion.Within());
        Assert.Equal("upstream broke", thrown.Message);
        Assert.False(right.Completion.IsCompleted);
    }

    [Fact]
    public async Task Offer_LargeJobSaturatesSharedShedStage_SmallJobsItemsAreNotShed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("enrich", async (v, _, _) =>
        {
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 20, MaxDegreeOfParallelism = 2, Overflow = OverflowPolicy.Shed, NewJobReserve = 0.25 });
        var big = _core.Jobs.Start();
        var small = _core.Jobs.Start();

        var flood = Enumerable.Range(0, 200).Select(i => stage.Offer(new StageItem<int>(big, i))).ToList();
        var smallResults = new List<OfferResult>();
        for (var i = 0; i < 5; i++)
        {
            smallResults.Add(stage.Offer(new StageItem<int>(small, i)));
            flood.Add(stage.Offer(new StageItem<int>(big, 1000 + i))); // the flood goes on
        }

        Assert.All(smallResults, r => Assert.True(r.Accepted));
        Assert.Equal(15, flood.Count(r => r.Accepted)); // capacity less the reserve for arriving jobs
        Assert.All(flood.Where(r => !r.Accepted), r => Assert.Equal(ShedReason.JobShare, r.Reason));
        Assert.Equal(20, stage.InStage);
        gate.SetResult();
        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal(new StageCounts(5, 5, 0, 5, 0, 0), small.GetStageCounts()["enrich"]);
    }

    [Fact]
    public async Task Work_BigJobQueuedFirst_WorkersTakeJobsInTurnSoTheSmallJobIsNotLeftBehind()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new ConcurrentQueue<string>();
        var stage = _core.Stages.Create<string, string>("turns", async (value, _, _) =>
        {
            await gate.Task;
            order.Enqueue(value);
            return value;
        }, new StageOptions { Capacity = 100, MaxDegreeOfParallelism = 1, FairShare = false });
        var big = _core.Jobs.Start();
        var small = _core.Jobs.Start();

        for (var i = 0; i < 30; i++)
        {
            Assert.True(stage.Offer(new StageItem<string>(big, $"big{i}")).Accepted);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.True(stage.Offer(new StageItem<string>(small, $"small{i}")).Accepted);
        }

        gate.SetResult();
        await Signals.UntilAsync(() => order.Count == 33);

        // The jobs alternate (big0 may have been taken before the small job arrived): the small one is done within the first 7, not after 30.
        var served = order.ToList();
        Assert.All(Enumerable.Range(0, 3), i => Assert.InRange(served.IndexOf($"small{i}"), 0, 6));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"big{i}"), served.Where(v => v.StartsWith("big", StringComparison.Ordinal))); // FIFO within a job
    }

    [Fact]
    public async Task OfferAsync_WaitPolicyAndFullBuffer_ProducerWaitsAndNothingIsShed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new ConcurrentQueue<int>();
        var stage = _core.Stages.Create<int, int>("work", async (v, _, _) =>
        {
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 2, MaxDegreeOfParallelism = 1 });
        stage.LinkTo(Sink(received));
        var job = _core.Jobs.Start();

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.True((await stage.OfferAsync(new StageItem<int>(job, i), CancellationToken.None)).Accepted);
            }
        });
        await Signals.UntilAsync(() => stage.InStage == 2);
        await Signals.SettleAsync();

        Assert.False(producer.IsCompleted);
        Assert.Equal(2, stage.InStage);
        gate.SetResult();
        await producer.Within();
        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal(new StageCounts(10, 10, 0, 10, 0, 0), job.GetStageCounts()["work"]);
    }

    [Fact]
    public async Task OfferAsync_WaitingProducerCancelled_ItemNeitherTakenNorCounted()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = _core.Stages.Create<int, int>("work", async (v, _, _) =>
        {
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 1, MaxDegreeOfParallelism = 1, FairShare = false });
        var job = _core.Jobs.Start();
        Assert.True(stage.Offer(new StageItem<int>(job, 1)).Accepted);
        using var cts = new CancellationTokenSource();

        var waiting = stage.OfferAsync(new StageItem<int>(job, 2), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        Assert.Equal(new StageCounts(1, 1, 0, 0, 0, 0), job.GetStageCounts()["work"]);
        gate.SetResult();
        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal(0, stage.InStage);
    }

    [Fact]
    public async Task Work_BudgetExhausted_ItemsDroppedAsBudgetExhaustedAndJobGoesOn()
    {
        using var core = new CoreHarness(new Dictionary<string, string?> { ["Pipeline:Jobs:CallBudget"] = "2" }, TimeProvider.System);
        var stage = core.Stages.Create<int, int>("enrich", async (v, job, ct) =>
        {
            using var lease = (await core.Throttle.AcquireAsync("lastfm", job, ct)).EnsureAcquired();
            return v;
        }, new StageOptions { MaxDegreeOfParallelism = 1 });
        var sink = new RecordingSink();
        var job = core.Jobs.Start(sink);

        for (var i = 0; i < 4; i++)
        {
            await stage.OfferAsync(new StageItem<int>(job, i), CancellationToken.None);
        }

        stage.Complete();
        await stage.Completion.Within();

        Assert.Equal(new StageCounts(4, 4, 0, 2, 0, 2), job.GetStageCounts()["enrich"]);
        Assert.Equal(2, sink.DeadLetters.Snapshot().Length);
        Assert.All(sink.DeadLetters.Snapshot(), d => Assert.Equal(("budget_exhausted", "budget_exhausted"), (d.Outcome, d.Reason)));
        Assert.Null(job.Outcome);
    }

    [Fact]
    public async Task CreateMany_EnsureOrdered_OutputsLeaveInInputOrder()
    {
        var received = new ConcurrentQueue<int>();
        var stage = _core.Stages.CreateMany<int, int>("search", Expand, new StageOptions { Capacity = 64, MaxDegreeOfParallelism = 8, EnsureOrdered = true });
        stage.LinkTo(Sink(received));
        var job = _core.Jobs.Start();

        for (var i = 0; i < 40; i++)
        {
            await stage.OfferAsync(new StageItem<int>(job, i), CancellationToken.None);
        }

        stage.Complete();
        await stage.Completion.Within();
        await Signals.UntilAsync(() => received.Count == 80);

        Assert.Equal(Enumerable.Range(0, 80), received);

        static async IAsyncEnumerable<int> Expand(int value, JobContext job, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            // Early items finish last, so only the ordering keeps them first.
            await Task.Yield();
            if (value % 3 == 0)
            {
                await Task.Run(() => SpinWait.SpinUntil(() => false, 2), ct);
            }

            yield return value * 2;
            yield return (value * 2) + 1;
        }
    }

    [Fact]
    public void Offer_ShedItem_GoesToDeadLettersAndTheJobsStream()
    {
        var sink = new RecordingSink();
        var stage = _core.Stages.Create<int, int>("work", (v, _, _) => new ValueTask<int>(new TaskCompletionSource<int>().Task),
            new StageOptions { Capacity = 1, MaxDegreeOfParallelism = 1, Overflow = OverflowPolicy.Shed, FairShare = false });
        var job = _core.Jobs.Start(sink);

        Assert.True(stage.Offer(new StageItem<int>(job, 1)).Accepted);
        var refused = stage.Offer(new StageItem<int>(job, 2));

        Assert.Equal(OfferResult.Shed(ShedReason.QueueFull), refused);
        var letter = Assert.Single(sink.DeadLetters.Snapshot());
        Assert.Equal(("work", "shed", "queue_full", "2"), (letter.Stage, letter.Outcome, letter.Reason, letter.Item));
        var shed = Assert.IsType<ItemShed>(Assert.Single(sink.Events));
        Assert.Equal(("item.shed", job.Id, "queue_full"), (shed.Type, shed.JobId, shed.Reason));
    }
}
