using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Jobs;

/// <summary>Instruments of the job registry.</summary>
internal sealed class JobMetrics
{
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _ended;

    public JobMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PipelineTelemetry.MeterName);
        _active = meter.CreateUpDownCounter<long>("pipeline.jobs.active", "{job}", "Jobs running now.");
        _ended = meter.CreateCounter<long>("pipeline.jobs.ended", "{job}", "Jobs ended, by outcome.");
    }

    public void Started() => _active.Add(1);

    public void Ended(JobOutcome outcome)
    {
        _active.Add(-1);
        _ended.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToTag()));
    }
}
