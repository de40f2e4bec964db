namespace Pipeline.Throttling;

/// <summary>
/// Permission for one upstream call: a lane slot held until disposed (hold it for the whole of a streamed
/// response), or a refusal with its reason and a retry-after hint. Dispose it in the flow that acquired it.
/// </summary>
public sealed class ThrottleLease : IDisposable
{
    private readonly Action<ThrottleLease>? _release;
    private readonly Action? _sent;
    private int _disposed;
    private int _marked;

    internal ThrottleLease(string lane, TimeSpan waited, Action<ThrottleLease> release, Action sent)
    {
        Lane = lane;
        Waited = waited;
        IsAcquired = true;
        _release = release;
        _sent = sent;
    }

    internal ThrottleLease(string lane, ThrottleRejectionReason reason, TimeSpan? retryAfter, Action<ThrottleLease>? release)
    {
        Lane = lane;
        Reason = reason;
        RetryAfter = retryAfter;
        _release = release;
    }

    /// <summary>The lane the call belongs to.</summary>
    public string Lane { get; }

    /// <summary>True when the call may start now.</summary>
    public bool IsAcquired { get; }

    /// <summary>Why the call was refused; <see cref="ThrottleRejectionReason.None"/> when acquired.</summary>
    public ThrottleRejectionReason Reason { get; }

    /// <summary>When to try again after a refusal, if known.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>How long the call waited for its slot and permit.</summary>
    public TimeSpan Waited { get; }

    /// <summary>Throws <see cref="ThrottleRejectedException"/> when the call was refused.</summary>
    /// <returns>This lease.</returns>
    public ThrottleLease EnsureAcquired() =>
        IsAcquired ? this : throw new ThrottleRejectedException(Lane, Reason, RetryAfter);

    /// <summary>
    /// Reports that the call's request has just gone out on the wire. Its start then counts from now rather than
    /// from the grant, so the upstream never sees more than the limit in a window even when sending lagged (a new
    /// connection, a cold start). Only the first report counts.
    /// </summary>
    public void MarkSent()
    {
        if (Interlocked.Exchange(ref _marked, 1) == 0)
        {
            _sent?.Invoke();
        }
    }

    /// <summary>Frees the lane slot.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _release?.Invoke(this);
        }
    }
}
