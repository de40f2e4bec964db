namespace Pipeline.Host;

/// <summary>The answer of the health endpoints.</summary>
/// <param name="Status">live, ready, starting, stopping or storage_unavailable.</param>
/// <param name="Reason">Why the host is not ready, when the status alone does not say (the job store's error).</param>
/// <param name="Mode"><c>single</c>, or <c>cluster</c> when the host shares its limits through Redis.</param>
/// <param name="Redis">In cluster mode, <c>up</c>, or <c>down</c> while this host keeps to its share of every limit (degraded, still serving).</param>
public sealed record HealthStatus(string Status, string? Reason = null, string? Mode = null, string? Redis = null);
