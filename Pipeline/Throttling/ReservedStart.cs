namespace Pipeline.Throttling;

/// <summary>One start an <see cref="IStartReservations"/> store reserved.</summary>
/// <param name="Delay">How long after the store's clock read <see cref="ReservedStarts.Now"/> it may begin.</param>
/// <param name="Token">The store's handle on it, for <see cref="IStartReservations.Restamp"/>.</param>
public readonly record struct ReservedStart(TimeSpan Delay, object Token);
