using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Throttling;

/// <summary>Instruments of the shared throttle and its lanes.</summary>
internal sealed class ThrottleMetrics
{
    private readonly Meter _meter;
    private readonly Counter<long> _permits;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _pauses;
    private readonly Histogram<double> _wait;

    public ThrottleMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _permits = _meter.CreateCounter<long>("pipeline.throttle.permits", "{permit}", "Upstream calls allowed to start, by lane.");
        _rejections = _meter.CreateCounter<long>("pipeline.throttle.rejections", "{call}", "Upstream calls refused, by lane and reason.");
        _pauses = _meter.CreateCounter<long>("pipeline.lane.pauses", "{pause}", "Lanes paused by an upstream's Retry-After.");
        _wait = _meter.CreateHistogram(
            "pipeline.throttle.wait.duration",
            "s",
            "Time a call waited for its lane slot and rate permit.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PipelineTelemetry.SecondsBuckets });
    }

    /// <summary>Starts a lane's refusal counters of every reason at 0: zero, not missing, on a quiet host.</summary>
    public void LaneAdded(string lane)
    {
        foreach (var reason in Enum.GetValues<ThrottleRejectionReason>().Where(r => r is not ThrottleRejectionReason.None))
        {
            _rejections.Add(0, new("lane", lane), new("reason", reason.ToTag()));
        }
    }

    /// <summary>Reports the throttle's gauges from its snapshots.</summary>
    public void Observe(Func<ThrottleSnapshot> snapshot)
    {
        _meter.CreateObservableGauge("pipeline.throttle.queue.length", () => snapshot().QueueLength, "{call}", "Calls waiting for a rate permit.");
        _meter.CreateObservableGauge("pipeline.throttle.rate.configured", () => snapshot().ConfiguredRate, "{permit}/s", "Configured call starts per second.");
        _meter.CreateObservableGauge("pipeline.throttle.rate.achieved", () => snapshot().AchievedRate, "{permit}/s", "Call starts per second over the last window.");
        _meter.CreateObservableGauge("pipeline.lane.slots.in_use", () => Lanes(snapshot(), l => l.InUse), "{slot}", "Lane slots held, by lane.");
        _meter.CreateObservableGauge("pipeline.lane.slots.limit", () => Lanes(snapshot(), l => l.Limit), "{slot}", "Lane slots configured, by lane.");
        _meter.CreateObservableGauge("pipeline.lane.waiting", () => Lanes(snapshot(), l => l.Waiting), "{call}", "Calls waiting for a lane slot, by lane.");
    }

    public void Granted(string lane, TimeSpan waited)
    {
        var tag = new KeyValuePair<string, object?>("lane", lane);
        _permits.Add(1, tag);
        _wait.Record(waited.TotalSeconds, tag);
    }

    public void Rejected(string lane, ThrottleRejectionReason reason) =>
        _rejections.Add(1, new("lane", lane), new("reason", reason.ToTag()));

    public void Paused(string lane) => _pauses.Add(1, new KeyValuePair<string, object?>("lane", lane));

    private static IEnumerable<Measurement<int>> Lanes(ThrottleSnapshot snapshot, Func<LaneSnapshot, int> value) =>
        snapshot.Lanes.Select(l => new Measurement<int>(value(l), new KeyValuePair<string, object?>("lane", l.Lane)));
}
