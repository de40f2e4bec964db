using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages.Caching;

/// <summary>Instruments of the upstream answer cache.</summary>
internal sealed class CacheMetrics
{
    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _writeFailures;
    private readonly Counter<long> _quarantined;

    public CacheMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _lookups = _meter.CreateCounter<long>("pipeline.cache.lookups", "{lookup}", "Cache lookups, by kind and result (hit or miss).");
        _writeFailures = _meter.CreateCounter<long>("pipeline.cache.write_failures", "{failure}", "Cache file operations that failed (full disk, I/O error); the cache rests and tries again.");
        _quarantined = _meter.CreateCounter<long>("pipeline.cache.quarantined", "{file}", "Damaged cache files moved aside at start.");
        _writeFailures.Add(0);
        _quarantined.Add(0);
    }

    public void Lookup(string kind, bool hit) => _lookups.Add(1, new("kind", kind), new("result", hit ? "hit" : "miss"));

    public void WriteFailed() => _writeFailures.Add(1);

    public void Quarantined() => _quarantined.Add(1);

    /// <summary>Reports <c>pipeline.cache.healthy</c>: 1 while the cache file writes, 0 while it cannot.</summary>
    public void ObserveHealth(Func<bool> healthy) =>
        _meter.CreateObservableGauge("pipeline.cache.healthy", () => healthy() ? 1 : 0, "{bool}", "1 while the cache file writes, 0 while it cannot (upstream answers are not cached meanwhile).");
}
