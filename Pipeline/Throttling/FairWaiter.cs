namespace Pipeline.Throttling;

/// <summary>
/// A caller queued in a <see cref="FairQueue{T}"/> for permits or a slot: granted with a result, or cancelled with its
/// token, whichever comes first. The owner removes it from the queue under its lock before either, so only one can.
/// </summary>
/// <typeparam name="T">What a grant hands the caller.</typeparam>
/// <param name="permitCount">Permits it waits for.</param>
/// <param name="cancel">The owner's handling of a cancellation: removes the waiter from the queue, then cancels it if it was still there.</param>
internal sealed class FairWaiter<T>(int permitCount, Action<FairWaiter<T>, CancellationToken> cancel)
    : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private CancellationTokenRegistration _registration;

    public int PermitCount { get; } = permitCount;

    /// <summary>Its place in the owner's queue.</summary>
    public FairQueue<FairWaiter<T>>.Entry? Entry { get; set; }

    /// <summary>Hands the waiter to the owner's <c>cancel</c> when <paramref name="cancellationToken"/> is cancelled.</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (s, ct) => ((FairWaiter<T>)s!).Cancelled(ct), this);
        }
    }

    /// <summary>Completes the wait with <paramref name="result"/>; the waiter has left the queue, so no cancellation can win.</summary>
    public void Grant(T result)
    {
        _registration.Unregister();
        TrySetResult(result);
    }

    private void Cancelled(CancellationToken cancellationToken) => cancel(this, cancellationToken);
}
