namespace Pipeline.Telemetry;

/// <summary>Names shared by every component's instruments.</summary>
public static class PipelineTelemetry
{
    /// <summary>The meter every Pipeline instrument belongs to.</summary>
    public const string MeterName = "Pipeline";

    /// <summary>Histogram buckets for durations in seconds, 1 ms to 5 minutes.</summary>
    public static readonly IReadOnlyList<double> SecondsBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
}
