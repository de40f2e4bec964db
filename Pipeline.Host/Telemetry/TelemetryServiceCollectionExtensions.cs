using OpenTelemetry.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Host.Telemetry;

/// <summary>Registers the host's metrics and their Prometheus export.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The meters exported at <c>/metrics</c>: the pipeline's own, ASP.NET Core's, Kestrel's (with its memory pool) and the .NET runtime's.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        PipelineTelemetry.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.MemoryPool",
        "System.Runtime",
    ];

    /// <summary>
    /// Tag combinations kept per metric. Every tag here comes from a closed set (stages, lanes, reasons, routes), so a
    /// few hundred is ample; OpenTelemetry's default of 2,000 reserves about 12 MB of metric points up front across the
    /// host's instruments. Beyond the limit, measurements still count, under <c>otel_metric_overflow</c>.
    /// </summary>
    public const int CardinalityLimit = 256;

    /// <summary>Adds the host's instruments and OpenTelemetry metrics with the Prometheus exporter (map it with <c>MapPipelineEndpoints</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<HostMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter([.. Meters])
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = CardinalityLimit })
            .AddPrometheusExporter());
        return services;
    }
}
