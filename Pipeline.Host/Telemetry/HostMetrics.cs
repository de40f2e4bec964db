using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Host.Telemetry;

/// <summary>The host's instruments on the <c>Pipeline</c> meter: streams, admission and the job store.</summary>
internal sealed class HostMetrics
{
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _written;
    private readonly Counter<long> _superseded;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _transactions;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _syncs;
    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _writeFailures;
    private readonly Counter<long> _quarantined;
    private readonly Meter _meter;

    public HostMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _connections = meter.CreateUpDownCounter<long>("pipeline.sse.connections", "{connection}", "Event streams open.");
        _written = meter.CreateCounter<long>("pipeline.sse.events.written", "{event}", "Events written to streams.");
        _superseded = meter.CreateCounter<long>("pipeline.sse.events.superseded", "{event}", "Events a lagging stream skipped: superseded stage.progress and llm.delta merged into a later one.");
        _superseded.Add(0);
        _rejected = meter.CreateCounter<long>("pipeline.jobs.rejected", "{job}", "Jobs refused at admission, by reason (busy, client_jobs, quota, rate_limited, stopping, storage_unavailable).");
        foreach (var reason in Jobs.Admission.Reasons)
        {
            _rejected.Add(0, new KeyValuePair<string, object?>("reason", reason)); // zero, not missing, on a quiet host
        }

        _transactions = meter.CreateCounter<long>("pipeline.store.transactions", "{transaction}", "Job store write transactions.");
        _stored = meter.CreateCounter<long>("pipeline.store.events", "{event}", "Events written to the job store.");
        _syncs = meter.CreateCounter<long>("pipeline.store.syncs", "{sync}", "Times the job store's log was forced to disk (fsync), at most once per Pipeline:Storage:SyncInterval.");
        _writeDuration = meter.CreateHistogram<double>(
            "pipeline.store.write.duration",
            "s",
            "Job store write transactions, from the first insert to the commit; back to back, the store is the bottleneck.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PipelineTelemetry.SecondsBuckets });
        _writeFailures = meter.CreateCounter<long>("pipeline.store.write_failures", "{failure}", "Job store writes that failed and wait to be retried, by reason (no_space, io_error).");
        _quarantined = meter.CreateCounter<long>("pipeline.store.quarantined", "{file}", "Damaged job store files moved aside at start (Pipeline:Storage:OnCorruption=Quarantine).");
        _quarantined.Add(0);
        foreach (var reason in (string[])["no_space", "io_error"])
        {
            _writeFailures.Add(0, new KeyValuePair<string, object?>("reason", reason)); // zero, not missing, on a healthy host
        }
    }

    /// <summary>Reports the job store's health as <c>pipeline.storage.healthy</c> (1 while it writes, 0 while it cannot).</summary>
    public void StorageHealth(Func<bool> healthy) =>
        _meter.CreateObservableGauge("pipeline.storage.healthy", () => healthy() ? 1 : 0, "{bool}", "1 while the job store writes, 0 while it cannot (new jobs are refused).");

    public void StoreQuarantined() => _quarantined.Add(1);

    public void StoreWriteFailed(string reason) => _writeFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void StreamOpened() => _connections.Add(1);

    public void StreamClosed() => _connections.Add(-1);

    public void Written(long superseded)
    {
        _written.Add(1);
        if (superseded > 0)
        {
            _superseded.Add(superseded);
        }
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Stored(int events, TimeSpan took)
    {
        _transactions.Add(1);
        _stored.Add(events);
        _writeDuration.Record(took.TotalSeconds);
    }

    public void Synced() => _syncs.Add(1);
}
