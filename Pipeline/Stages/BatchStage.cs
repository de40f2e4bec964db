using System.Threading.Tasks.Dataflow;
using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>
/// A stage that works on micro-batches, for upstreams that take many ids per call: a batch leaves when it holds
/// <see cref="StageOptions.BatchSize"/> items or its first item has waited <see cref="StageOptions.BatchMaxWait"/>
/// (a <see cref="TimeProvider"/> timer), whichever comes first. Batches mix jobs; each item keeps its own outcome.
/// </summary>
internal sealed class BatchStage<TIn, TOut> : Stage<TIn, TOut>
{
    private readonly Func<IReadOnlyList<StageItem<TIn>>, CancellationToken, ValueTask<IReadOnlyList<ItemResult<TOut>>>> _work;
    private readonly BatchBlock<StageItem<TIn>> _batcher;
    private readonly ITimer _flush;
    private int _flushArmed;

    public BatchStage(
        string name,
        StageOptions options,
        StageMetrics metrics,
        TimeProvider time,
        Func<IReadOnlyList<StageItem<TIn>>, CancellationToken, ValueTask<IReadOnlyList<ItemResult<TOut>>>> work,
        ReloadableOptions<StageOptions>? reloadable = null)
        : base(name, options, metrics, time, reloadable)
    {
        _work = work;
        _batcher = new BatchBlock<StageItem<TIn>>(options.BatchSize, new GroupingDataflowBlockOptions
        {
            BoundedCapacity = DataflowBlockOptions.Unbounded, // the stage's own count bounds it, at the capacity in force
        });
        var worker = new ActionBlock<StageItem<TIn>[]>(ProcessAsync, new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = options.MaxDegreeOfParallelism,
            MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
        });
        _batcher.LinkTo(worker, new DataflowLinkOptions { PropagateCompletion = true });
        _flush = time.CreateTimer(static s => ((BatchStage<TIn, TOut>)s!).Flush(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Completion = worker.Completion;
        Register();
        Completion.ContinueWith(
            static (_, s) =>
            {
                var self = (BatchStage<TIn, TOut>)s!;
                self._flush.Dispose();
                self.Unregister();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public override Task Completion { get; }

    // Batches mix jobs and leave whole: items join them in arrival order.
    private protected override bool TryPost(StageItem<TIn> item, JobStageCounters counters)
    {
        if (!_batcher.Post(item))
        {
            return false;
        }

        ArmFlush();
        return true;
    }

    private protected override void CompleteInput() => _batcher.Complete();

    private protected override void FaultInput(Exception exception) => ((IDataflowBlock)_batcher).Fault(exception);

    // The timer is armed by the first item after a flush, so no item waits longer than BatchMaxWait;
    // a batch that filled first leaves early and the next flush merely comes sooner.
    private void ArmFlush()
    {
        if (Interlocked.Exchange(ref _flushArmed, 1) == 0)
        {
            _flush.Change(Options.BatchMaxWait, Timeout.InfiniteTimeSpan);
        }
    }

    private void Flush()
    {
        Interlocked.Exchange(ref _flushArmed, 0);
        _batcher.TriggerBatch();
    }

    // Never throws: a failed batch fails its items, never the block.
    private async Task ProcessAsync(StageItem<TIn>[] batch)
    {
        var live = new List<StageItem<TIn>>(batch.Length);
        foreach (var item in batch)
        {
            if (item.Job.IsStopped)
            {
                End(item, CountersFor(item.Job), ItemOutcome.Cancelled);
            }
            else
            {
                live.Add(item);
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        RestoreExecutionContext(live);
        StartWork(live.Count);
        var started = Time.GetTimestamp();
        IReadOnlyList<ItemResult<TOut>> results;
        try
        {
            results = await _work(live, CancellationToken.None);
            if (results.Count != live.Count)
            {
                throw new InvalidOperationException($"Batch work returned {results.Count} results for {live.Count} items.");
            }
        }
        catch (Exception e)
        {
            Worked(started, Time.GetTimestamp());
            foreach (var item in live)
            {
                var (outcome, reason, detail) = Classify(e, item.Job);
                End(item, CountersFor(item.Job), outcome, reason, detail, worked: true);
            }

            return;
        }

        Worked(started, Time.GetTimestamp());
        for (var i = 0; i < live.Count; i++)
        {
            var item = live[i];
            var result = results[i];
            if (item.Job.IsStopped)
            {
                End(item, CountersFor(item.Job), ItemOutcome.Cancelled, worked: true);
                continue;
            }

            if (result.Outcome != ItemOutcome.Passed)
            {
                End(item, CountersFor(item.Job), ItemOutcome.Failed, result.Reason ?? "error", result.Detail, worked: true);
                continue;
            }

            try
            {
                await EmitAsync(item.Job, result.Value!);
                End(item, CountersFor(item.Job), ItemOutcome.Passed, worked: true);
            }
            catch (OperationCanceledException) when (item.Job.IsStopped)
            {
                End(item, CountersFor(item.Job), ItemOutcome.Cancelled, worked: true);
            }
        }
    }

    // One job's batch runs in that job's context; a batch of several runs in none of theirs (work that splits it by
    // job enters each one's), so a line about it never names another job.
    private static void RestoreExecutionContext(List<StageItem<TIn>> batch)
    {
        var job = batch[0].Job;
        if (batch.TrueForAll(i => ReferenceEquals(i.Job, job)))
        {
            job.RestoreExecutionContext();
        }
        else
        {
            ExecutionContext.Restore(NoJob.Context);
        }
    }
}
