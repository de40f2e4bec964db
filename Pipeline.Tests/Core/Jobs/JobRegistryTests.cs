using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Jobs;

public sealed class JobRegistryTests : IDisposable
{
    private readonly CoreHarness _core = new(new Dictionary<string, string?> { ["Pipeline:Jobs:Deadline"] = "00:00:10" });

    public void Dispose() => _core.Dispose();

    [Fact]
    public void Start_Defaults_RandomIdConfiguredDeadlineAndBudget()
    {
        var job = _core.Jobs.Start();

        Assert.Matches("^[0-9a-f]{32}$", job.Id);
        Assert.NotEqual(job.Id, _core.Jobs.Start().Id);
        Assert.Equal(CoreHarness.Epoch.AddSeconds(10), job.Deadline);
        Assert.Equal(950, job.Budget.Limit);
        Assert.True(_core.Jobs.TryGet(job.Id, out var found));
        Assert.Same(job, found);
    }

    [Fact]
    public void Deadline_Passed_JobStopsOnTheFakeClock()
    {
        var job = _core.Jobs.Start();

        _core.FakeTime.Advance(TimeSpan.FromSeconds(9));
        Assert.False(job.IsStopped);
        _core.FakeTime.Advance(TimeSpan.FromSeconds(1));

        Assert.True(job.IsStopped);
        Assert.True(job.IsPastDeadline);
        Assert.True(job.CancellationToken.IsCancellationRequested);
        Assert.Null(job.Outcome); // the owner decides the outcome (timeout) and ends it
    }

    [Fact]
    public void End_Completed_RemovedFromRegistryAndItsItemsDroppedAtTheNextStage()
    {
        var stage = _core.Stages.Create<int, int>("next", (v, _, _) => ValueTask.FromResult(v));
        var job = _core.Jobs.Start();

        _core.Jobs.End(job, JobOutcome.Completed);
        var offered = stage.Offer(new StageItem<int>(job, 1));

        Assert.False(_core.Jobs.TryGet(job.Id, out _));
        Assert.True(offered.Accepted);
        Assert.Equal(new StageCounts(1, 1, 0, 0, 0, 1), job.GetStageCounts()["next"]);
        Assert.Equal(0, stage.InStage);
    }

    [Fact]
    public async Task End_ItemsPassedAStage_FinalCountsComeJustBeforeTheTerminalEventAndNothingAfter()
    {
        var sink = new RecordingSink();
        var stage = _core.Stages.Create<int, int>("next", (v, _, _) => ValueTask.FromResult(v));
        var job = _core.Jobs.Start(sink);
        stage.Offer(new StageItem<int>(job, 1));
        await job.WhenIdle.Within();

        _core.Jobs.End(job, JobOutcome.Completed);
        _core.Jobs.End(job, JobOutcome.Failed, "late"); // ends once

        var last = sink.Events.TakeLast(2).ToList();
        Assert.Equal(1, Assert.IsType<StageProgress>(last[0]).Stages["next"].Offered);
        Assert.Equal(JobOutcome.Completed, Assert.IsType<JobEnded>(last[1]).Outcome);
        Assert.Single(sink.Events, e => e is JobEnded);
    }

    [Fact]
    public void GetStageCounts_TwoStagesOfOneName_CountedTogetherUnderIt()
    {
        var options = new StageOptions { Capacity = 1, MaxDegreeOfParallelism = 1, Overflow = OverflowPolicy.Shed, FairShare = false };
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _core.Stages.Create<int, int>("twin", (_, _, _) => new ValueTask<int>(gate.Task), options);
        var second = _core.Stages.Create<int, int>("twin", (_, _, _) => new ValueTask<int>(gate.Task), options);
        var job = _core.Jobs.Start();

        first.Offer(new StageItem<int>(job, 1));
        first.Offer(new StageItem<int>(job, 2)); // shed: the first twin is full
        second.Offer(new StageItem<int>(job, 3));

        Assert.Equal(new StageCounts(3, 2, 1, 0, 0, 0), job.GetStageCounts()["twin"]);
        Assert.Equal(2, job.InFlight);
    }

    [Fact]
    public async Task WhenIdle_ItemsFlowThroughTwoStages_CompletesOnlyWhenTheLastHasLeft()
    {
        using var real = new CoreHarness(time: TimeProvider.System);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = real.Stages.CreateMany<int, int>("expand", Expand);
        first.LinkTo(real.Stages.Create<int, int>("slow", async (v, _, _) =>
        {
            await gate.Task;
            return v;
        }, new StageOptions { Capacity = 16, MaxDegreeOfParallelism = 1, FairShare = false }));
        var job = real.Jobs.Start();
        Assert.True(job.WhenIdle.IsCompleted); // nothing in flight yet

        await first.OfferAsync(new StageItem<int>(job, 3), CancellationToken.None);
        await Signals.UntilAsync(() => job.GetStageCounts().TryGetValue("slow", out var c) && c.Accepted == 3);

        Assert.False(job.WhenIdle.IsCompleted);
        gate.SetResult();
        await job.WhenIdle.Within();
        Assert.Equal(0, job.InFlight);
        Assert.Equal(3, job.GetStageCounts()["slow"].Passed);

        static async IAsyncEnumerable<int> Expand(int n, JobContext job, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
    }

    [Fact]
    public async Task WhenIdle_ManyItemsThroughParallelStages_NeverCompletesWhileAnItemIsInFlight()
    {
        using var real = new CoreHarness(time: TimeProvider.System);
        var options = new StageOptions { Capacity = 64, MaxDegreeOfParallelism = 4, FairShare = false };
        var sunk = 0;
        var first = real.Stages.Create<int, int>("a", (v, _, _) => ValueTask.FromResult(v), options);
        first.LinkTo(real.Stages.CreateMany<int, int>("b", Twice, options))
            .LinkTo(real.Stages.CreateAction<int>("c", (_, _, _) =>
            {
                Interlocked.Increment(ref sunk);
                return ValueTask.CompletedTask;
            }, options));

        // Each round: items hop stage to stage on many threads while the job is asked for idle over and over; every
        // time it answers idle, every item must have reached the sink.
        for (var round = 1; round <= 20; round++)
        {
            var job = real.Jobs.Start();
            Volatile.Write(ref sunk, 0);
            for (var i = 0; i < 100; i++)
            {
                await first.OfferAsync(new StageItem<int>(job, i), CancellationToken.None);
            }

            while (!job.WhenIdle.IsCompleted)
            {
                await Task.Yield();
            }

            Assert.Equal(200, Volatile.Read(ref sunk));
            await job.WhenIdle.Within();
            Assert.Equal(0, job.InFlight);
        }

        static async IAsyncEnumerable<int> Twice(int v, JobContext job, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            yield return v;
            await Task.Yield();
            yield return v;
        }
    }

    [Fact]
    public void DeadLetters_BeyondTheLimit_CountedNotKept()
    {
        var stage = _core.Stages.Create<int, int>("s", (v, _, _) => new ValueTask<int>(new TaskCompletionSource<int>().Task),
            new StageOptions { Capacity = 1, MaxDegreeOfParallelism = 1, Overflow = OverflowPolicy.Shed, FairShare = false });
        var letters = new DeadLetterList(2);
        var job = _core.Jobs.Start(letters);

        for (var i = 0; i < 6; i++)
        {
            stage.Offer(new StageItem<int>(job, i));
        }

        Assert.Equal(5, letters.TotalCount);
        Assert.Equal(["1", "2"], letters.Snapshot().Select(d => d.Item));
    }

    [Fact]
    public void DeadLetters_AnItemFailedPublishedOutsideAStage_KeptWithTheStagesOutcomeVocabulary()
    {
        var letters = new DeadLetterList(2);
        var job = _core.Jobs.Start(letters);

        // An upstream helper's refused call and a failed one, published as events: the job's one stream keeps both.
        job.Events.Publish(new ItemFailed(job.Id, job.Now(), "enrichment", "budget_exhausted", "budget spent", "a track", "lastfm"));
        job.Events.Publish(new ItemFailed(job.Id, job.Now(), "enrichment", "http_503", "down", "b track", "deezer"));
        job.Events.Publish(new ItemShed(job.Id, job.Now(), "enrichment", "queue_full", "c track"));

        Assert.Equal(["budget_exhausted", "failed"], letters.Snapshot().Select(d => d.Outcome));
        Assert.Equal(3, letters.TotalCount);
    }
}
