using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>A stage whose work makes outputs, passed on to the stages linked after it.</summary>
/// <typeparam name="TIn">The item type the stage takes.</typeparam>
/// <typeparam name="TOut">The item type it passes on.</typeparam>
public abstract class Stage<TIn, TOut> : Stage<TIn>
{
    private Stage<TOut>[] _next = [];

    private protected Stage(string name, StageOptions options, StageMetrics metrics, TimeProvider time, ReloadableOptions<StageOptions>? reloadable)
        : base(name, options, metrics, time, reloadable)
    {
    }

    /// <summary>
    /// Sends this stage's outputs to <paramref name="next"/> under its policy. Linked to several stages, the stage fans
    /// out: each output is offered to every one, in the order they were linked, and each counts it as its own offer.
    /// <paramref name="next"/> completes once every stage linked to it has completed, and faults as soon as one faults.
    /// Link before offering items.
    /// </summary>
    /// <typeparam name="TStage">The next stage's type.</typeparam>
    /// <param name="next">The next stage.</param>
    /// <returns><paramref name="next"/>, for chaining.</returns>
    public TStage LinkTo<TStage>(TStage next)
        where TStage : Stage<TOut>
    {
        ArgumentNullException.ThrowIfNull(next);
        while (true)
        {
            var linked = Volatile.Read(ref _next);
            if (Array.IndexOf(linked, next) >= 0)
            {
                throw new InvalidOperationException($"Stage '{Name}' is already linked to '{next.Name}'.");
            }

            if (Interlocked.CompareExchange(ref _next, [.. linked, next], linked) == linked)
            {
                break;
            }
        }

        next.LinkFrom(Completion);
        return next;
    }

    /// <summary>Offers one output to every next stage; with none linked, outputs end here.</summary>
    private protected ValueTask EmitAsync(JobContext job, TOut value)
    {
        var next = Volatile.Read(ref _next);
        for (var i = 0; i < next.Length; i++)
        {
            var offer = next[i].OfferAsync(new StageItem<TOut>(job, value), job.CancellationToken);
            if (!offer.IsCompletedSuccessfully)
            {
                return RestAsync(next, i, offer, job, value);
            }
        }

        return ValueTask.CompletedTask;
    }

    // The offer to next[waiting] waits for room: the stages after it are offered the output once it is taken.
    private static async ValueTask RestAsync(Stage<TOut>[] next, int waiting, ValueTask<OfferResult> offer, JobContext job, TOut value)
    {
        await offer;
        for (var i = waiting + 1; i < next.Length; i++)
        {
            await next[i].OfferAsync(new StageItem<TOut>(job, value), job.CancellationToken);
        }
    }
}
