using System.Diagnostics.Metrics;
using Pipeline.Telemetry;

namespace Pipeline.Stages.Sequencing;

/// <summary>Instruments of the sets the sequencing stage chooses: the pool tracks it leaves out and why, and the sets the pool could not fill with the kind asked.</summary>
internal sealed class SetMetrics(IMeterFactory meterFactory)
{
    private readonly Counter<long> _leftOut = meterFactory.Create(PipelineTelemetry.MeterName)
        .CreateCounter<long>("pipeline.set.left_out", "{track}", "Pool tracks left out of a set, by reason (style, decade, tempo, mood, artist_limit, no_tempo, surplus).");

    private readonly Counter<long> _sets = meterFactory.Create(PipelineTelemetry.MeterName)
        .CreateCounter<long>("pipeline.set.sets", "{set}", "Sets chosen, by whether the pool held enough of the kind asked (full) or the set says what it used instead (shortfall).");

    public void Chosen(SetResult set)
    {
        foreach (var (reason, count) in set.Rejected)
        {
            _leftOut.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }

        _sets.Add(1, new KeyValuePair<string, object?>("result", set.Shortfall is null ? "full" : "shortfall"));
    }
}
