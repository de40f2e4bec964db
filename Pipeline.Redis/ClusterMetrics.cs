using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Redis;

/// <summary>Instruments of cluster mode: Redis's reachability, its round trips, the time spent on a host's share, the lanes' leases, and the jobs this host claimed and lost.</summary>
internal sealed class ClusterMetrics
{
    private readonly Meter _meter;
    private readonly Histogram<double> _roundTrip;
    private readonly Counter<long> _renewals;
    private readonly Counter<long> _expiries;
    private long _claimedNew;
    private long _takenOver;
    private long _lost;

    public ClusterMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _roundTrip = _meter.CreateHistogram(
            "pipeline.cluster.permit.duration",
            "s",
            "Round trip to Redis for a rate's starts or a lane's slot, by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
        _renewals = _meter.CreateCounter<long>("pipeline.cluster.lease.renewals", "{lease}", "Lane slot leases this host renewed, by lane.");
        _expiries = _meter.CreateCounter<long>("pipeline.cluster.lease.expiries", "{lease}", "Lane slot leases found expired (their host stopped renewing), by lane.");
        // Observed, so a quiet host exports them at zero whenever the exporter starts listening.
        _meter.CreateObservableCounter(
            "pipeline.cluster.jobs.claimed",
            () => (Measurement<long>[])[new(Volatile.Read(ref _claimedNew), new KeyValuePair<string, object?>("kind", "new")), new(Volatile.Read(ref _takenOver), new KeyValuePair<string, object?>("kind", "takeover"))],
            "{job}",
            "Jobs this host claimed to run, by kind: new, or taken over from a host whose claim idled past the lease time.");
        _meter.CreateObservableCounter("pipeline.cluster.jobs.lost", () => Volatile.Read(ref _lost), "{job}", "Jobs this host was running when another host took over their claim (this one stalled past the lease time).");
    }

    /// <summary>Reports whether Redis answers and the seconds this host kept to its share without it.</summary>
    public void ObserveConnection(Func<bool> up, Func<TimeSpan> fallback)
    {
        _meter.CreateObservableGauge("pipeline.cluster.redis.up", () => up() ? 1 : 0, "1", "1 while Redis answers, 0 while this host keeps to its share.");
        _meter.CreateObservableCounter("pipeline.cluster.fallback.time", () => fallback().TotalSeconds, "s", "Time this host kept to its share of every limit because Redis did not answer.");
    }

    /// <summary>Reports the cluster's rate as Redis holds it: starts in the last window and the limit in force, per second.</summary>
    public void ObserveRate(Func<IEnumerable<(string Rate, double Achieved, double Configured)>> rates)
    {
        _meter.CreateObservableGauge("pipeline.cluster.rate.achieved", () => rates().Select(r => new Measurement<double>(r.Achieved, new KeyValuePair<string, object?>("rate", r.Rate))), "{permit}/s", "Call starts per second over the last window, by every host together.");
        _meter.CreateObservableGauge("pipeline.cluster.rate.configured", () => rates().Select(r => new Measurement<double>(r.Configured, new KeyValuePair<string, object?>("rate", r.Rate))), "{permit}/s", "The smallest limit any live host holds, per second.");
    }

    public void RoundTrip(string kind, TimeSpan elapsed) => _roundTrip.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", kind));

    public void Renewed(string lane, int count) => _renewals.Add(count, new KeyValuePair<string, object?>("lane", lane));

    /// <summary>Counts a job claimed: <paramref name="takeover"/> when another host had run it.</summary>
    public void Claimed(bool takeover) => Interlocked.Increment(ref takeover ? ref _takenOver : ref _claimedNew);

    public void Lost() => Interlocked.Increment(ref _lost);

    public void Expired(string lane, long count) => _expiries.Add(count, new KeyValuePair<string, object?>("lane", lane));
}
