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

    private protected override bool TryPost(StageItem<TIn> item, JobStageCounters counters) =>
        _ordered?.Post(item) ?? TryEnqueue(item, counters, _parallelism, _startWorker!);

    private protected override void CompleteInput() => Input.Complete();

    private protected override void FaultInput(Exception exception) => Input.Fault(exception);

    private protected override int Waiting => _ordered is null ? Queued : base.Waiting;

    private IDataflowBlock Input => (IDataflowBlock?)_ordered ?? _workers!;

    // Runs until no item waits; a loop per message spares the block's own bookkeeping for every item.
    private async Task RunWorkerAsync()
    {
        var emit = _emit ??= EmitAsync; // one delegate, not one per item
        var started = Time.GetTimestamp();
        while (TryDequeue(out var item, out var counters, leave: false) || SpinForNext(out item, out counters))
        {
            started = await WorkAsync(item, counters, emit, started); // one item's end is the next one's start
        }
    }

    // The next item often arrives just behind the last: a few spins before the loop ends spare a restart through the block.
    private bool SpinForNext(out StageItem<TIn> item, [NotNullWhen(true)] out JobStageCounters? counters)
    {
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce();
            if (Queued > 0 && TryDequeue(out item, out counters, leave: false))
            {
                return true;
            }
        }

        return TryDequeue(out item, out counters);
    }

    private async Task<IEnumerable<StageItem<TOut>>> CollectAsync(StageItem<TIn> item)
    {
        List<StageItem<TOut>>? outputs = null;
        await WorkAsync(
            item,
            CountersFor(item.Job),
            (job, value) =>
            {
                (outputs ??= []).Add(new StageItem<TOut>(job, value));
                return ValueTask.CompletedTask;
            },
            Time.GetTimestamp());
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

    // Never throws: one item's failure is that item's outcome, never the block's fault. Returns when the work ended.
    private async ValueTask<long> WorkAsync(StageItem<TIn> item, JobStageCounters counters, Func<JobContext, TOut, ValueTask> emit, long started)
    {
        var job = item.Job;
        if (job.IsStopped)
        {
            End(item, counters, ItemOutcome.Cancelled);
            return started;
        }

        var counted = _ordered is not null; // unordered, the queue counts what waits
        if (counted)
        {
            StartWork(1);
        }

        (ItemOutcome Outcome, string? Reason, string? Detail) end = (ItemOutcome.Passed, null, null);
        try
        {
            if (_one is not null)
            {
                await emit(job, await _one(item.Value, job, job.CancellationToken));
            }
            else
            {
                await foreach (var output in _many!(item.Value, job, job.CancellationToken).WithCancellation(job.CancellationToken))
                {
                    await emit(job, output);
                }
            }
        }
        catch (Exception e)
        {
            end = Classify(e, job);
        }

        var ended = Time.GetTimestamp();
        Worked(started, ended);
        End(item, counters, end.Outcome, end.Reason, end.Detail, worked: counted);
        return ended;
    }
}
