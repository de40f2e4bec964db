using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Configuration;

/// <summary>Instruments of live configuration reloads.</summary>
internal sealed class ConfigMetrics(IMeterFactory meterFactory)
{
    private readonly Counter<long> _reloads = meterFactory.Create(PipelineTelemetry.MeterName)
        .CreateCounter<long>("pipeline.config.reloads", "{reload}", "Configuration reloads, by section and result (accepted, rejected).");

    public void Reloaded(string section, bool accepted) =>
        _reloads.Add(1, new("section", section), new("result", accepted ? "accepted" : "rejected"));
}
