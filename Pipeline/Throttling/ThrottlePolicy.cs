namespace Pipeline.Throttling;

/// <summary>How the shared throttle spaces the starts of upstream calls.</summary>
public enum ThrottlePolicy
{
    /// <summary>At most <c>Limit</c> calls start in any window of length <c>Window</c>, measured from each start.</summary>
    SlidingWindow,

    /// <summary>A token bucket refilled at <c>Limit</c> per <c>Window</c>, holding at most <c>Burst</c> tokens.</summary>
    TokenBucket,
}
