namespace Pipeline.Throttling;

/// <summary>One lane at one instant.</summary>
/// <param name="Lane">The upstream's lane name.</param>
/// <param name="Limit">Configured concurrent calls.</param>
/// <param name="InUse">Slots held now.</param>
/// <param name="Waiting">Calls queued for a slot.</param>
/// <param name="PausedFor">Time left of a Retry-After pause, or null.</param>
public sealed record LaneSnapshot(string Lane, int Limit, int InUse, int Waiting, TimeSpan? PausedFor);
