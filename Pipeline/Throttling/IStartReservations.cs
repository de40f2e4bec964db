namespace Pipeline.Throttling;

/// <summary>
/// Start times several hosts share: a store that keeps the last starts of each named rate for all of them, on one
/// clock of its own, and answers each request with when its starts may begin (at once, or reserved later in the
/// window), so that together the hosts never start more than the limit in any window. Cluster mode registers one; a
/// single host has none and keeps its rates in process.
/// </summary>
public interface IStartReservations
{
    /// <summary>Hosts expected to share the rates: while the store cannot answer, each host keeps to <c>limit / Hosts</c>.</summary>
    int Hosts { get; }

    /// <summary>
    /// Reserves <paramref name="count"/> starts of the rate <paramref name="name"/>: at most the smallest
    /// <paramref name="limit"/> any live host holds in any <paramref name="window"/>, and <paramref name="spacing"/> apart.
    /// Starts this host made while the store could not answer (<paramref name="madeApart"/>, UTC) are counted first.
    /// </summary>
    /// <param name="name">The rate: <c>global</c>, or a lane's.</param>
    /// <param name="count">Starts wanted, in order.</param>
    /// <param name="limit">This host's limit.</param>
    /// <param name="window">The window it counts over.</param>
    /// <param name="spacing">The least time between two starts (zero: none).</param>
    /// <param name="madeApart">Starts made without the store, to count.</param>
    /// <param name="cancellationToken">Cancels the request; starts it may have reserved are then lost, never doubled.</param>
    /// <returns>The store's clock as it reserved, and the starts, in order: when each may begin, and the store's handle on it.</returns>
    ValueTask<ReservedStarts> ReserveAsync(string name, int count, int limit, TimeSpan window, TimeSpan spacing, IReadOnlyList<DateTimeOffset> madeApart, CancellationToken cancellationToken);

    /// <summary>
    /// A reserved start left <paramref name="late"/> after its time (the host was busy): the store counts it from then,
    /// so the starts it reserves next keep the upstream, which sees sends, within the limit. Does not wait.
    /// </summary>
    /// <param name="name">The rate.</param>
    /// <param name="start">The start, as <see cref="ReserveAsync"/> reserved it.</param>
    /// <param name="late">How late it left.</param>
    void Restamp(string name, ReservedStart start, TimeSpan late);
}
