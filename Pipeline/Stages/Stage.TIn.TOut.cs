using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>A stage whose work makes outputs, passed on to the stage linked after it.</summary>
/// <typeparam name="TIn">The item type the stage takes.</typeparam>
/// <typeparam name="TOut">The item type it passes on.</typeparam>
public abstract class Stage<TIn, TOut> : Stage<TIn>
{
    private Stage<TOut>? _next;

    private protected Stage(string name, StageOptions options, StageMetrics metrics, TimeProvider time, ReloadableOptions<StageOptions>? reloadable)
        : base(name, options, metrics, time, reloadable)
    {
    }

    /// <summary>
    /// Sends this stage's outputs to <paramref name="next"/> under its policy. <paramref name="next"/> completes once
    /// every stage linked to it has completed, and faults as soon as one faults. Link before offering items.
    /// </summary>
    /// <typeparam name="TStage">The next stage's type.</typeparam>
    /// <param name="next">The next stage.</param>
    /// <returns><paramref name="next"/>, for chaining.</returns>
    public TStage LinkTo<TStage>(TStage next)
        where TStage : Stage<TOut>
    {
        ArgumentNullException.ThrowIfNull(next);
        if (Interlocked.CompareExchange(ref _next, next, null) is not null)
        {
            throw new InvalidOperationException($"Stage '{Name}' is already linked.");
        }

        next.LinkFrom(Completion);
        return next;
    }

    /// <summary>Offers one output to the next stage; with none linked, outputs end here.</summary>
    private protected ValueTask EmitAsync(JobContext job, TOut value)
    {
        if (_next is null)
        {
            return ValueTask.CompletedTask;
        }

        var offer = _next.OfferAsync(new StageItem<TOut>(job, value), job.CancellationToken);
        return offer.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(offer.AsTask());
    }
}
