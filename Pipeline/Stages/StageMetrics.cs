using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages;

/// <summary>
/// Instruments shared by every stage, tagged by stage name. The per-item counts (offered, in, out) are observed from
/// each stage's own totals when exported, so an item costs no instrument call on the hot path.
/// </summary>
internal sealed class StageMetrics
{
    private readonly ConcurrentDictionary<IStageGauges, byte> _stages = new();
    private readonly Lock _totalsLock = new(); // a stage's totals move to _retired at once, never counted twice or not at all
    private readonly Dictionary<string, StageTotals> _retired = new(StringComparer.Ordinal); // completed stages' totals, by name
    private readonly Counter<long> _shed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _duration;

    public StageMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PipelineTelemetry.MeterName);
        meter.CreateObservableCounter("pipeline.stage.items.offered", () => Totals(t => t.Accepted + t.Shed), "{item}", "Items offered to a stage; equals in + shed.");
        meter.CreateObservableCounter("pipeline.stage.items.in", () => Totals(t => t.Accepted), "{item}", "Items a stage accepted.");
        meter.CreateObservableCounter("pipeline.stage.items.out", () => Totals(t => t.Passed), "{item}", "Items whose stage work succeeded and went on.");
        _shed = meter.CreateCounter<long>("pipeline.items.shed", "{item}", "Items a stage refused, by reason.");
        _failed = meter.CreateCounter<long>("pipeline.items.failed", "{item}", "Items whose stage work failed, by reason.");
        _dropped = meter.CreateCounter<long>("pipeline.items.dropped", "{item}", "Accepted items dropped without finishing: job ended or budget exhausted, by reason.");
        _duration = meter.CreateHistogram(
            "pipeline.stage.duration",
            "s",
            "Time a stage worked on one item or batch; items under 100 µs are sampled, one in up to 64.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PipelineTelemetry.SecondsBuckets });
        meter.CreateObservableGauge("pipeline.stage.queue.depth", () => Gauge(s => s.QueueDepth), "{item}", "Items waiting in a stage's buffer.");
        meter.CreateObservableGauge("pipeline.stage.in_stage", () => Gauge(s => s.InStage), "{item}", "Items a stage holds, queued and in work.");
        meter.CreateObservableGauge("pipeline.stage.capacity", () => Gauge(s => s.Capacity), "{item}", "A stage's configured capacity.");
    }

    /// <summary>Reports a stage's gauges, and starts its counters of every known reason at 0 (zero, not missing, on a quiet host).</summary>
    public void Register(IStageGauges stage)
    {
        _stages.TryAdd(stage, 0);
        var tag = new KeyValuePair<string, object?>("stage", stage.Name);
        foreach (var reason in Enum.GetValues<ShedReason>().Where(r => r != ShedReason.None))
        {
            _shed.Add(0, tag, new("reason", reason.ToTag()));
        }

        _failed.Add(0, tag, new("reason", "error"));
        foreach (var outcome in (ItemOutcome[])[ItemOutcome.Cancelled, ItemOutcome.BudgetExhausted])
        {
            _dropped.Add(0, tag, new("reason", outcome.ToTag()));
        }
    }

    /// <summary>Stops a completed stage's gauges; its totals stay in the counters.</summary>
    public void Unregister(IStageGauges stage)
    {
        lock (_totalsLock)
        {
            if (_stages.TryRemove(stage, out _))
            {
                _retired[stage.Name] = _retired.GetValueOrDefault(stage.Name) + StageTotals.Of(stage);
            }
        }
    }

    public void Shed(string stage, ShedReason reason) =>
        _shed.Add(1, new("stage", stage), new("reason", reason.ToTag()));

    /// <summary>Counts an item that did not pass: failed, or dropped (the stage counts passed items itself).</summary>
    public void Ended(string stage, ItemOutcome outcome, string? reason)
    {
        var tag = new KeyValuePair<string, object?>("stage", stage);
        if (outcome == ItemOutcome.Failed)
        {
            _failed.Add(1, tag, new("reason", reason ?? "error"));
        }
        else
        {
            _dropped.Add(1, tag, new("reason", outcome.ToTag()));
        }
    }

    public void Worked(string stage, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    private List<Measurement<long>> Totals(Func<StageTotals, long> value)
    {
        lock (_totalsLock)
        {
            var byName = new Dictionary<string, StageTotals>(_retired, StringComparer.Ordinal);
            foreach (var stage in _stages.Keys)
            {
                byName[stage.Name] = byName.GetValueOrDefault(stage.Name) + StageTotals.Of(stage);
            }

            return [.. byName.Select(p => new Measurement<long>(value(p.Value), new KeyValuePair<string, object?>("stage", p.Key)))];
        }
    }

    private IEnumerable<Measurement<int>> Gauge(Func<IStageGauges, int> value) =>
        _stages.Keys.Select(s => new Measurement<int>(value(s), new KeyValuePair<string, object?>("stage", s.Name)));
}

/// <summary>What a stage reports to its gauges.</summary>
internal interface IStageGauges
{
    string Name { get; }

    int QueueDepth { get; }

    int InStage { get; }

    int Capacity { get; }

    long Accepted { get; }

    long Shed { get; }

    long Passed { get; }
}
