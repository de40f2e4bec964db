using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages.Upstreams;

/// <summary>Instruments of upstream calls: every attempt's answer by lane and status class, and calls given up on.</summary>
internal sealed class UpstreamMetrics
{
    private readonly Counter<long> _responses;
    private readonly Counter<long> _failures;

    public UpstreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _responses = meter.CreateCounter<long>("pipeline.upstream.responses", "{response}", "Upstream call attempts, by lane and status class (2xx, 3xx, 4xx, 5xx, or error when no response came).");
        _failures = meter.CreateCounter<long>("pipeline.upstream.failures", "{call}", "Best-effort upstream calls given up on (the item went on without them), by stage, upstream and reason.");
    }

    /// <summary>Starts the failure counts of <paramref name="stage"/>'s calls to <paramref name="upstream"/> at 0, one per reason.</summary>
    public void Expect(string stage, string upstream, IEnumerable<string> reasons)
    {
        foreach (var reason in reasons)
        {
            _failures.Add(0, new("stage", stage), new("upstream", upstream), new("reason", reason));
        }
    }

    public void Failed(string stage, string upstream, string reason) =>
        _failures.Add(1, new("stage", stage), new("upstream", upstream), new("reason", reason));

    public void Answered(string lane, int? status) =>
        _responses.Add(1, new("lane", lane), new("status_class", status is { } code ? $"{code / 100}xx" : "error"));
}
