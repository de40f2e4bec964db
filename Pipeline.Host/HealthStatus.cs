namespace Pipeline.Host;

/// <summary>The answer of the health endpoints.</summary>
/// <param name="Status">live, ready, starting or stopping.</param>
public sealed record HealthStatus(string Status);
