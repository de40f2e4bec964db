namespace Pipeline.Throttling;

/// <summary>
/// Lane slots and pauses several hosts share: a slot is a lease in a store the hosts have in common, renewed while it is
/// held and given back when the call ends, so a host that dies gives its slots back within the lease time; a pause one
/// host learns from an upstream's Retry-After holds on all of them. Cluster mode registers one; a single host has none
/// and keeps its lanes in process.
/// </summary>
public interface ISharedLanes
{
    /// <summary>
    /// Takes one of <paramref name="lane"/>'s slots, waiting until the hosts together hold fewer than the smallest
    /// limit any live host holds. Dispose the slot to give it back.
    /// </summary>
    /// <param name="lane">The upstream's lane.</param>
    /// <param name="limit">This host's limit for the lane.</param>
    /// <param name="cancellationToken">Cancels the wait; nothing is then held.</param>
    /// <returns>The slot.</returns>
    ValueTask<IDisposable> TakeSlotAsync(string lane, int limit, CancellationToken cancellationToken);

    /// <summary>Tells every other host that <paramref name="lane"/> is paused for <paramref name="retryAfter"/>. Does not wait.</summary>
    /// <param name="lane">The upstream's lane.</param>
    /// <param name="retryAfter">The upstream's Retry-After.</param>
    void Pause(string lane, TimeSpan retryAfter);

    /// <summary>Another host paused a lane: its name and how long from now.</summary>
    event Action<string, TimeSpan>? Paused;
}
