using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Pipeline.Configuration;

/// <summary>
/// Options that follow their configuration while the host runs, and never take an invalid value: each change is
/// built and validated again (every registered validator, so messages name the key and value); a valid one replaces
/// <see cref="Current"/> and is announced, an invalid one is logged and counted as rejected and the last good value
/// stays in force. A change that leaves the section's values as they were (another section of the file was edited) is
/// neither announced nor counted. (<see cref="IOptionsMonitor{TOptions}"/> would throw from <c>CurrentValue</c> after an
/// invalid edit.)
/// </summary>
/// <typeparam name="TOptions">The options type.</typeparam>
public sealed partial class ReloadableOptions<TOptions> : IDisposable
    where TOptions : class
{
    private readonly IOptionsFactory<TOptions> _factory;
    private readonly string _name;
    private readonly string _section;
    private readonly ConfigMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _subscriptions;
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TOptions _current;

    internal ReloadableOptions(
        IOptionsFactory<TOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<TOptions>> sources,
        string section,
        ConfigMetrics metrics,
        ILogger logger,
        string? name = null)
    {
        _factory = factory;
        _name = name ?? Options.DefaultName;
        _section = section;
        _metrics = metrics;
        _logger = logger;
        _current = factory.Create(_name); // invalid at start: thrown, the host does not start
        _subscriptions = [.. sources.Select(source => ChangeToken.OnChange(source.GetChangeToken, Reload))];
    }

    /// <summary>The options in force: the last valid configuration.</summary>
    public TOptions Current => Volatile.Read(ref _current);

    /// <summary>Completes at the next accepted change.</summary>
    public Task WhenChanged
    {
        get
        {
            lock (_lock)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Raised with the new value after each accepted change.</summary>
    public event Action<TOptions>? Changed;

    /// <summary>Stops following the configuration.</summary>
    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void Reload()
    {
        TOptions next;
        try
        {
            next = _factory.Create(_name);
        }
        catch (OptionsValidationException e)
        {
            _metrics.Reloaded(_section, accepted: false);
            LogRejected(_logger, _section, string.Join("; ", e.Failures));
            return;
        }

        TaskCompletionSource changed;
        lock (_lock)
        {
            if (Same(_current, next))
            {
                return;
            }

            Volatile.Write(ref _current, next);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _metrics.Reloaded(_section, accepted: true);
        LogAccepted(_logger, _section);
        Changed?.Invoke(next);
        changed.TrySetResult();
    }

    /// <summary>True when both hold the same values, compared as their JSON (options are plain settable properties).</summary>
    private static bool Same(TOptions a, TOptions b)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);
        }
        catch (NotSupportedException)
        {
            return false; // a value JSON cannot show: taken as changed
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration {Section} reloaded")]
    private static partial void LogAccepted(ILogger logger, string section);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration {Section} change rejected, the last good values stay in force: {Failures}")]
    private static partial void LogRejected(ILogger logger, string section, string failures);
}
