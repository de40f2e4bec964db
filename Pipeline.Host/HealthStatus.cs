namespace Pipeline.Host;

/// <summary>The answer of the health endpoints.</summary>
/// <param name="Status">live, ready, starting, stopping or storage_unavailable.</param>
/// <param name="Reason">Why the host is not ready, when the status alone does not say (the job store's error).</param>
public sealed record HealthStatus(string Status, string? Reason = null);
