namespace Pipeline.Throttling;

/// <summary>An <see cref="IStartReservations"/> store's answer: its clock when it reserved, and the starts.</summary>
/// <param name="Now">The store's clock when it read it for this answer: each start's delay counts from here.</param>
/// <param name="Starts">The starts, in order.</param>
public sealed record ReservedStarts(DateTimeOffset Now, IReadOnlyList<ReservedStart> Starts);
