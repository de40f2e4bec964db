using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>
/// Builds stages on the shared metrics and clock. Options come from the caller (fixed), or from configuration under
/// <c>Pipeline:Stages:{name}</c> (followed live: capacity and overflow policy); invalid ones throw with the key and
/// value named.
/// </summary>
public sealed class StageFactory
{
    private readonly StageMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Func<string, ReloadableOptions<StageOptions>> _configured;
    private readonly StageOptionsValidator _validator = new();

    internal StageFactory(StageMetrics metrics, TimeProvider time, Func<string, ReloadableOptions<StageOptions>> configured)
    {
        _metrics = metrics;
        _time = time;
        _configured = configured;
    }

    /// <summary>A stage that makes one output per item.</summary>
    /// <typeparam name="TIn">What it takes.</typeparam>
    /// <typeparam name="TOut">What it passes on.</typeparam>
    /// <param name="name">Its name and metric tag.</param>
    /// <param name="work">The work; an exception fails only that item.</param>
    /// <param name="options">Its options; those configured for <paramref name="name"/> when null.</param>
    /// <returns>The stage, ready to link.</returns>
    public Stage<TIn, TOut> Create<TIn, TOut>(string name, Func<TIn, JobContext, CancellationToken, ValueTask<TOut>> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (resolved, reloadable) = Resolve(name, options);
        return new TransformStage<TIn, TOut>(name, resolved, _metrics, _time, work, null, reloadable);
    }

    /// <summary>A stage that makes any number of outputs per item, each passed on as soon as it is made.</summary>
    /// <typeparam name="TIn">What it takes.</typeparam>
    /// <typeparam name="TOut">What it passes on.</typeparam>
    /// <param name="name">Its name and metric tag.</param>
    /// <param name="work">The work; an exception fails only that item (outputs already made stay passed on).</param>
    /// <param name="options">Its options; those configured for <paramref name="name"/> when null.</param>
    /// <returns>The stage, ready to link.</returns>
    public Stage<TIn, TOut> CreateMany<TIn, TOut>(string name, Func<TIn, JobContext, CancellationToken, IAsyncEnumerable<TOut>> work, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (resolved, reloadable) = Resolve(name, options);
        return new TransformStage<TIn, TOut>(name, resolved, _metrics, _time, null, work, reloadable);
    }

    /// <summary>A stage that runs an action per item and passes the item on.</summary>
    /// <typeparam name="T">What it takes and passes on.</typeparam>
    /// <param name="name">Its name and metric tag.</param>
    /// <param name="action">The action; an exception fails only that item.</param>
    /// <param name="options">Its options; those configured for <paramref name="name"/> when null.</param>
    /// <returns>The stage, ready to link.</returns>
    public Stage<T, T> CreateAction<T>(string name, Func<T, JobContext, CancellationToken, ValueTask> action, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Create<T, T>(
            name,
            (value, job, cancellationToken) =>
            {
                var done = action(value, job, cancellationToken);
                if (!done.IsCompletedSuccessfully)
                {
                    return Then(done, value);
                }

                done.GetAwaiter().GetResult(); // releases a pooled source
                return new ValueTask<T>(value); // finished at once: no state machine
            },
            options);

        static async ValueTask<T> Then(ValueTask done, T value)
        {
            await done;
            return value;
        }
    }

    /// <summary>A stage that works on micro-batches of up to <see cref="StageOptions.BatchSize"/> items.</summary>
    /// <typeparam name="TIn">What it takes.</typeparam>
    /// <typeparam name="TOut">What it passes on.</typeparam>
    /// <param name="name">Its name and metric tag.</param>
    /// <param name="work">The work: one result per item, in order; an exception fails the whole batch.</param>
    /// <param name="options">Its options; those configured for <paramref name="name"/> when null.</param>
    /// <returns>The stage, ready to link.</returns>
    public Stage<TIn, TOut> CreateBatch<TIn, TOut>(
        string name,
        Func<IReadOnlyList<StageItem<TIn>>, CancellationToken, ValueTask<IReadOnlyList<ItemResult<TOut>>>> work,
        StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        var (resolved, reloadable) = Resolve(name, options);
        return new BatchStage<TIn, TOut>(name, resolved, _metrics, _time, work, reloadable);
    }

    private (StageOptions Options, ReloadableOptions<StageOptions>? Reloadable) Resolve(string name, StageOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (options is not null)
        {
            var result = _validator.Validate(name, options);
            return result.Failed ? throw new OptionsValidationException(name, typeof(StageOptions), result.Failures) : (options, null);
        }

        var configured = _configured(name); // validated by the registered StageOptionsValidator, now and at each change
        return (configured.Current, configured);
    }
}
