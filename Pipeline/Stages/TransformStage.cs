using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks.Dataflow;
using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>
/// A stage that works on items one at a time, up to its parallelism, each making zero or more outputs. Unordered, it
/// is one <see cref="ActionBlock{T}"/> running up to its parallelism of worker loops, started as items arrive; each
/// takes items round-robin across jobs until none waits and passes outputs on as they are made. Ordered, a
/// <see cref="TransformManyBlock{TInput, TOutput}"/> takes items in arrival order, keeps that order for the outputs,
/// and a single sender passes them on.
/// </summary>
internal sealed class TransformStage<TIn, TOut> : Stage<TIn, TOut>
{
    private readonly Func<TIn, JobContext, CancellationToken, ValueTask<TOut>>? _one;
    private readonly Func<TIn, JobContext, CancellationToken, IAsyncEnumerable<TOut>>? _many;
    private readonly ITargetBlock<byte>? _workers; // unordered: each message starts one worker loop
    private readonly Func<bool>? _startWorker;
    private readonly int _parallelism; // as built: the block's parallelism does not reload
    private readonly ITargetBlock<StageItem<TIn>>? _ordered; // ordered: the items themselves, in arrival order
    private Func<JobContext, TOut, ValueTask>? _emit;

    public TransformStage(
        string name,
        StageOptions options,
        StageMetrics metrics,
        TimeProvider time,
        Func<TIn, JobContext, CancellationToken, ValueTask<TOut>>? one,
        Func<TIn, JobContext, CancellationToken, IAsyncEnumerable<TOut>>? many,
        ReloadableOptions<StageOptions>? reloadable = null)
        : base(name, options, metrics, time, reloadable)
    {
        _one = one;
        _many = many;
        _parallelism = options.MaxDegreeOfParallelism;
        var blockOptions = new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = DataflowBlockOptions.Unbounded, // the stage's own count bounds it, at the capacity in force
            MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
            EnsureOrdered = options.EnsureOrdered,
        };

        if (options.EnsureOrdered)
        {
            // Outputs keep input order only if workers take inputs in the order posted: arrival order, not by job.
            var work = new TransformManyBlock<StageItem<TIn>, StageItem<TOut>>(CollectAsync, blockOptions);
            var sender = new ActionBlock<StageItem<TOut>>(SendOnAsync, new ExecutionDataflowBlockOptions { BoundedCapacity = options.MaxDegreeOfParallelism });
            work.LinkTo(sender, new DataflowLinkOptions { PropagateCompletion = true });
            _ordered = work;
            Completion = sender.Completion;
        }
        else
        {
            var work = new ActionBlock<byte>(_ => RunWorkerAsync(), blockOptions);
            _workers = work;
            _startWorker = () => work.Post(0);
            Completion = work.Completion;
        }

        Register();
        Completion.ContinueWith(static (_, s) => ((TransformStage<TIn, TOut>)s!).Unregister(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override Task Completion { get; }

    private protected override bool TryPost(StageItem<TIn> item, JobStageCounters counters)
    {
        if (_ordered is not null)
        {
            return _ordered.Post(item);
        }

        Enqueue(item, counters, _parallelism, _startWorker!);
        return true;
    }

    private protected override void CompleteInput() => Input.Complete();

    private protected override void FaultInput(Exception exception) => Input.Fault(exception);

    private protected override int Waiting => _ordered is null ? Queued : base.Waiting;

    private IDataflowBlock Input => (IDataflowBlock?)_ordered ?? _workers!;

    // Runs until no item waits; a loop per message spares the block's own bookkeeping for every item. An item's
    // counts end as the next one is taken, under one lock.
    private async Task RunWorkerAsync()
    {
        var emit = _emit ??= EmitAsync; // one delegate, not one per item
        var sampler = default(WorkSampler);
        JobStageCounters? ended = null;
        var outcome = ItemOutcome.Passed;
        while (TryDequeue(ended, outcome, out var item, out var counters, leave: false) || SpinForNext(out item, out counters))
        {
            item.Job.RestoreExecutionContext(); // a worker serves every job: each item's lines are its own job's
            if (sampler.Next())
            {
                var started = Time.GetTimestamp();
                outcome = await WorkAsync(item, emit);
                sampler.Timed(Worked(started, Time.GetTimestamp()));
            }
            else
            {
                outcome = await WorkAsync(item, emit);
            }

            ended = counters;
        }
    }

    // The next item often arrives just behind the last: a few spins before the loop ends spare a restart through the block.
    private bool SpinForNext(out StageItem<TIn> item, [NotNullWhen(true)] out JobStageCounters? counters)
    {
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce();
            if (Queued > 0 && TryDequeue(null, default, out item, out counters, leave: false))
            {
                return true;
            }
        }

        return TryDequeue(null, default, out item, out counters);
    }

    private async Task<IEnumerable<StageItem<TOut>>> CollectAsync(StageItem<TIn> item)
    {
        List<StageItem<TOut>>? outputs = null;
        item.Job.RestoreExecutionContext();
        StartWork(1);
        var started = Time.GetTimestamp();
        var outcome = await WorkAsync(
            item,
            (job, value) =>
            {
                (outputs ??= []).Add(new StageItem<TOut>(job, value));
                return ValueTask.CompletedTask;
            });
        Worked(started, Time.GetTimestamp());
        Ended(CountersFor(item.Job), outcome, worked: true);
        return outputs ?? [];
    }

    private async Task SendOnAsync(StageItem<TOut> output)
    {
        try
        {
            await EmitAsync(output.Job, output.Value);
        }
        catch (OperationCanceledException) when (output.Job.IsStopped)
        {
            // The job ended while the output waited for room; its input item was already counted.
        }
    }

    // One item's work, with no async state machine when it finishes at once (trivial work, a cached answer, room in
    // the next stage). Never throws: one item's failure is that item's outcome, never the block's fault. Publishes the
    // item's events; the caller times the work and counts its end.
    private ValueTask<ItemOutcome> WorkAsync(StageItem<TIn> item, Func<JobContext, TOut, ValueTask> emit)
    {
        var job = item.Job;
        if (job.IsStopped)
        {
            Report(item, ItemOutcome.Cancelled);
            return new ValueTask<ItemOutcome>(ItemOutcome.Cancelled);
        }

        if (_one is null)
        {
            return WorkManyAsync(item, emit);
        }

        try
        {
            var made = _one(item.Value, job, job.CancellationToken);
            if (!made.IsCompletedSuccessfully)
            {
                return EmitWhenMadeAsync(item, made, emit);
            }

            var emitted = emit(job, made.Result);
            if (!emitted.IsCompletedSuccessfully)
            {
                return PassWhenEmittedAsync(item, emitted);
            }

            emitted.GetAwaiter().GetResult(); // releases a pooled source
            return new ValueTask<ItemOutcome>(ItemOutcome.Passed);
        }
        catch (Exception e)
        {
            return new ValueTask<ItemOutcome>(Failed(item, e));
        }
    }

    private async ValueTask<ItemOutcome> EmitWhenMadeAsync(StageItem<TIn> item, ValueTask<TOut> made, Func<JobContext, TOut, ValueTask> emit)
    {
        try
        {
            await emit(item.Job, await made);
            return ItemOutcome.Passed;
        }
        catch (Exception e)
        {
            return Failed(item, e);
        }
    }

    private async ValueTask<ItemOutcome> PassWhenEmittedAsync(StageItem<TIn> item, ValueTask emitted)
    {
        try
        {
            await emitted;
            return ItemOutcome.Passed;
        }
        catch (Exception e)
        {
            return Failed(item, e);
        }
    }

    private async ValueTask<ItemOutcome> WorkManyAsync(StageItem<TIn> item, Func<JobContext, TOut, ValueTask> emit)
    {
        var job = item.Job;
        try
        {
            await foreach (var output in _many!(item.Value, job, job.CancellationToken).WithCancellation(job.CancellationToken))
            {
                await emit(job, output);
            }

            return ItemOutcome.Passed;
        }
        catch (Exception e)
        {
            return Failed(item, e);
        }
    }

    // Publishes a failed item's events; returns its outcome.
    private ItemOutcome Failed(StageItem<TIn> item, Exception exception)
    {
        var (outcome, reason, detail) = Classify(exception, item.Job);
        Report(item, outcome, reason, detail);
        return outcome;
    }
}
