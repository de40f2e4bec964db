using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages;

/// <summary>Instruments shared by every stage, tagged by stage name.</summary>
internal sealed class StageMetrics
{
    private readonly ConcurrentDictionary<IStageGauges, byte> _stages = new();
    private readonly Counter<long> _offered;
    private readonly Counter<long> _in;
    private readonly Counter<long> _out;
    private readonly Counter<long> _shed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _duration;

    public StageMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _offered = meter.CreateCounter<long>("pipeline.stage.items.offered", "{item}", "Items offered to a stage; equals in + shed.");
        _in = meter.CreateCounter<long>("pipeline.stage.items.in", "{item}", "Items a stage accepted.");
        _out = meter.CreateCounter<long>("pipeline.stage.items.out", "{item}", "Items whose stage work succeeded and went on.");
        _shed = meter.CreateCounter<long>("pipeline.items.shed", "{item}", "Items a stage refused, by reason.");
        _failed = meter.CreateCounter<long>("pipeline.items.failed", "{item}", "Items whose stage work failed, by reason.");
        _dropped = meter.CreateCounter<long>("pipeline.items.dropped", "{item}", "Accepted items dropped without finishing: job ended or budget exhausted, by reason.");
        _duration = meter.CreateHistogram(
            "pipeline.stage.duration",
            "s",
            "Time a stage worked on one item or batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PipelineTelemetry.SecondsBuckets });
        meter.CreateObservableGauge("pipeline.stage.queue.depth", () => Gauge(s => s.QueueDepth), "{item}", "Items waiting in a stage's buffer.");
        meter.CreateObservableGauge("pipeline.stage.in_stage", () => Gauge(s => s.InStage), "{item}", "Items a stage holds, queued and in work.");
        meter.CreateObservableGauge("pipeline.stage.capacity", () => Gauge(s => s.Capacity), "{item}", "A stage's configured capacity.");
    }

    public void Register(IStageGauges stage) => _stages.TryAdd(stage, 0);

    public void Unregister(IStageGauges stage) => _stages.TryRemove(stage, out _);

    public void Offered(string stage, OfferResult result)
    {
        var tag = new KeyValuePair<string, object?>("stage", stage);
        _offered.Add(1, tag);
        if (result.Accepted)
        {
            _in.Add(1, tag);
        }
        else
        {
            _shed.Add(1, tag, new("reason", result.Reason.ToTag()));
        }
    }

    public void Ended(string stage, ItemOutcome outcome, string? reason)
    {
        var tag = new KeyValuePair<string, object?>("stage", stage);
        switch (outcome)
        {
            case ItemOutcome.Passed:
                _out.Add(1, tag);
                break;
            case ItemOutcome.Failed:
                _failed.Add(1, tag, new("reason", reason ?? "error"));
                break;
            default:
                _dropped.Add(1, tag, new("reason", outcome.ToTag()));
                break;
        }
    }

    public void Worked(string stage, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

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
}
