using System.Threading.Tasks.Dataflow;
using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>
/// A stage that works on items one at a time, up to its parallelism, each making zero or more outputs. Unordered, it
/// is one <see cref="ActionBlock{T}"/> whose workers take items round-robin across jobs and pass outputs on as they are
/// made; ordered, a <see cref="TransformManyBlock{TInput, TOutput}"/> takes items in arrival order, keeps that order
/// for the outputs, and a single sender passes them on.
/// </summary>
internal sealed class TransformStage<TIn, TOut> : Stage<TIn, TOut>
{
    private readonly Func<TIn, JobContext, CancellationToken, ValueTask<TOut>>? _one;
    private readonly Func<TIn, JobContext, CancellationToken, IAsyncEnumerable<TOut>>? _many;
    private readonly ITargetBlock<byte>? _tickets; // unordered: each stands for one item queued in the stage (Enqueue)
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
            var work = new ActionBlock<byte>(_ => ProcessAsync(Dequeue()), blockOptions);
            _tickets = work;
            Completion = work.Completion;
        }

        Register();
        Completion.ContinueWith(static (_, s) => ((TransformStage<TIn, TOut>)s!).Unregister(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override Task Completion { get; }

    // A ticket that cannot be posted (the stage completed meanwhile) leaves its item queued with the job's counters;
    // the item itself is refused by the caller.
    private protected override bool TryPost(StageItem<TIn> item, JobStageCounters counters)
    {
        if (_ordered is not null)
        {
            return _ordered.Post(item);
        }

        Enqueue(item, counters);
        return _tickets!.Post((byte)0);
    }

    private protected override void CompleteInput() => Input.Complete();

    private protected override void FaultInput(Exception exception) => Input.Fault(exception);

    private IDataflowBlock Input => (IDataflowBlock?)_ordered ?? _tickets!;

    private Task ProcessAsync(StageItem<TIn> item) => WorkAsync(item, _emit ??= EmitAsync); // one delegate, not one per item

    private async Task<IEnumerable<StageItem<TOut>>> CollectAsync(StageItem<TIn> item)
    {
        List<StageItem<TOut>>? outputs = null;
        await WorkAsync(item, (job, value) =>
        {
            (outputs ??= []).Add(new StageItem<TOut>(job, value));
            return ValueTask.CompletedTask;
        });
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

    // Never throws: one item's failure is that item's outcome, never the block's fault.
    private async Task WorkAsync(StageItem<TIn> item, Func<JobContext, TOut, ValueTask> emit)
    {
        var job = item.Job;
        if (job.IsStopped)
        {
            End(item, ItemOutcome.Cancelled);
            return;
        }

        StartWork(1);
        var started = Time.GetTimestamp();
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

        Worked(started);
        End(item, end.Outcome, end.Reason, end.Detail, worked: true);
    }
}
