using System.Collections.Concurrent;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Stages;

public sealed class BatchStageTests : IDisposable
{
    private readonly CoreHarness _core = new();
    private readonly ConcurrentQueue<int> _batchSizes = new();

    public void Dispose() => _core.Dispose();

    private Stage<int, int> Features(int batchSize, TimeSpan maxWait, Func<int, ItemResult<int>>? result = null) =>
        _core.Stages.CreateBatch<int, int>("audio-features", (items, _) =>
        {
            _batchSizes.Enqueue(items.Count);
            IReadOnlyList<ItemResult<int>> results = [.. items.Select(i => result?.Invoke(i.Value) ?? ItemResult.Ok(i.Value))];
            return ValueTask.FromResult(results);
        }, new StageOptions { Capacity = 400, BatchSize = batchSize, BatchMaxWait = maxWait, MaxDegreeOfParallelism = 2 });

    [Fact]
    public async Task CreateBatch_BatchSizeReached_OneCallPerFullBatchWithoutWaiting()
    {
        var stage = Features(100, TimeSpan.FromSeconds(10));
        var job = _core.Jobs.Start();

        for (var i = 0; i < 200; i++)
        {
            Assert.True(stage.Offer(new StageItem<int>(job, i)).Accepted);
        }

        await Signals.UntilAsync(() => _batchSizes.Count == 2);
        Assert.Equal([100, 100], _batchSizes);
        await Signals.UntilAsync(() => job.GetStageCounts()["audio-features"].Passed == 200);
    }

    [Fact]
    public async Task CreateBatch_MaxWaitElapsed_PartialBatchLeavesThenAndNotBefore()
    {
        var stage = Features(100, TimeSpan.FromMilliseconds(50));
        var job = _core.Jobs.Start();
        for (var i = 0; i < 3; i++)
        {
            stage.Offer(new StageItem<int>(job, i));
        }

        _core.FakeTime.Advance(TimeSpan.FromMilliseconds(49));
        await Signals.SettleAsync();
        Assert.Empty(_batchSizes);

        _core.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        await Signals.UntilAsync(() => _batchSizes.Count == 1);
        Assert.Equal([3], _batchSizes);

        // The next item starts a new wait of its own.
        stage.Offer(new StageItem<int>(job, 3));
        _core.FakeTime.Advance(TimeSpan.FromMilliseconds(50));
        await Signals.UntilAsync(() => _batchSizes.Count == 2);
        Assert.Equal([3, 1], _batchSizes);
    }

    [Fact]
    public async Task CreateBatch_MixedJobsAndResults_EachItemKeepsItsOwnOutcome()
    {
        var stage = Features(6, TimeSpan.FromSeconds(1), v => v % 2 == 0 ? ItemResult.Ok(v) : ItemResult.Fail<int>("not_found", $"no features for {v}"));
        var a = _core.Jobs.Start();
        var sink = new RecordingSink();
        var b = _core.Jobs.Start(sink);

        for (var i = 0; i < 3; i++)
        {
            stage.Offer(new StageItem<int>(a, i));
            stage.Offer(new StageItem<int>(b, 10 + i));
        }

        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal([6], _batchSizes);
        Assert.Equal(new Pipeline.Jobs.StageCounts(3, 3, 0, 2, 1, 0), a.GetStageCounts()["audio-features"]);
        Assert.Equal(new Pipeline.Jobs.StageCounts(3, 3, 0, 2, 1, 0), b.GetStageCounts()["audio-features"]);
        Assert.Equal("no features for 11", Assert.Single(sink.DeadLetters.Snapshot()).Detail);
    }

    [Fact]
    public async Task CreateBatch_WorkThrows_EveryItemOfTheBatchFailsAndTheStageGoesOn()
    {
        var calls = 0;
        var stage = _core.Stages.CreateBatch<int, int>("audio-features", (items, _) =>
            Interlocked.Increment(ref calls) == 1
                ? throw new HttpRequestException("upstream down")
                : ValueTask.FromResult<IReadOnlyList<ItemResult<int>>>([.. items.Select(i => ItemResult.Ok(i.Value))]),
            new StageOptions { Capacity = 10, BatchSize = 2, MaxDegreeOfParallelism = 1 });
        var sink = new RecordingSink();
        var job = _core.Jobs.Start(sink);

        for (var i = 0; i < 4; i++)
        {
            stage.Offer(new StageItem<int>(job, i));
        }

        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal(new Pipeline.Jobs.StageCounts(4, 4, 0, 2, 2, 0), job.GetStageCounts()["audio-features"]);
        Assert.Equal(2, sink.DeadLetters.Snapshot().Length);
        Assert.All(sink.DeadLetters.Snapshot(), d => Assert.Equal(("error", "upstream down"), (d.Reason, d.Detail)));
    }

    [Fact]
    public async Task CreateBatch_JobCancelledBeforeItsBatchRuns_ItsItemsAreNotSentUpstream()
    {
        var seen = new ConcurrentQueue<int>();
        var stage = _core.Stages.CreateBatch<int, int>("audio-features", (items, _) =>
        {
            foreach (var item in items)
            {
                seen.Enqueue(item.Value);
            }

            return ValueTask.FromResult<IReadOnlyList<ItemResult<int>>>([.. items.Select(i => ItemResult.Ok(i.Value))]);
        }, new StageOptions { Capacity = 10, BatchSize = 4, MaxDegreeOfParallelism = 1, BatchMaxWait = TimeSpan.FromSeconds(1) });
        var cancelled = _core.Jobs.Start();
        var live = _core.Jobs.Start();
        stage.Offer(new StageItem<int>(cancelled, 1));
        stage.Offer(new StageItem<int>(live, 2));

        cancelled.Cancel();
        _core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Signals.UntilAsync(() => !seen.IsEmpty);

        stage.Complete();
        await stage.Completion.Within();
        Assert.Equal([2], seen);
        Assert.Equal(1, cancelled.GetStageCounts()["audio-features"].Dropped);
    }
}
