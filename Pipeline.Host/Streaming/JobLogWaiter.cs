using System.Threading.Tasks.Sources;

namespace Pipeline.Host.Streaming;

/// <summary>
/// One reader's wait for a <see cref="JobLog"/> to grow: armed under the log's lock, woken by the next append, commit
/// or seal (or by the reader's cancellation), and reused for every wait, so a reader following a live job allocates
/// nothing per event.
/// </summary>
internal sealed class JobLogWaiter : IValueTaskSource, IDisposable
{
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _registration;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _armed;

    public JobLogWaiter(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _registration = cancellationToken.UnsafeRegister(static w => ((JobLogWaiter)w!).Wake(), this);
    }

    /// <summary>Starts a wait; the caller holds the log's lock and then awaits <see cref="WaitAsync"/>.</summary>
    public void Arm()
    {
        _core.Reset();
        Interlocked.Exchange(ref _armed, 1);
        if (_cancellationToken.IsCancellationRequested)
        {
            Wake(); // cancelled before it was armed: its callback found nothing to wake
        }
    }

    /// <summary>Ends the armed wait, if there is one, the reader continuing on the thread pool; a wake with none armed is dropped.</summary>
    public void Wake() => End(runHere: false);

    /// <summary>Ends the armed wait, if there is one, the reader continuing on this thread up to its next wait.</summary>
    public void WakeHere() => End(runHere: true);

    private void End(bool runHere)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _core.RunContinuationsAsynchronously = !runHere;
            _core.SetResult(true);
        }
    }

    /// <summary>Completes when woken; throws <see cref="OperationCanceledException"/> once the reader is cancelled.</summary>
    public ValueTask WaitAsync() => new(this, _core.Version);

    public void Dispose() => _registration.Dispose();

    void IValueTaskSource.GetResult(short token)
    {
        _core.GetResult(token);
        _cancellationToken.ThrowIfCancellationRequested();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
