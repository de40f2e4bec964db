using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages.Caching;

/// <summary>Instruments of the upstream answer cache.</summary>
internal sealed class CacheMetrics(IMeterFactory meterFactory)
{
    private readonly Counter<long> _lookups = meterFactory.Create(PipelineTelemetry.MeterName)
        .CreateCounter<long>("pipeline.cache.lookups", "{lookup}", "Cache lookups, by kind and result (hit or miss).");

    public void Lookup(string kind, bool hit) => _lookups.Add(1, new("kind", kind), new("result", hit ? "hit" : "miss"));
}
