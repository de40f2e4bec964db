using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Llm;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// The sequencing stage: selects the set from a job's enriched pool and orders it along the intent's tempo curve
/// (<see cref="SetSequencer"/>), publishes it (<c>set.ordered</c>) and passes it on for the model to annotate.
/// </summary>
internal sealed class SequencingWork(SetMetrics metrics, TimeProvider time)
{
    public const string Stage = "sequencing";

    public ValueTask<SetDraft> RunAsync(SetPool pool, JobContext job, CancellationToken cancellationToken)
    {
        var set = SetSequencer.Sequence(pool.Tracks, pool.Intent);
        metrics.Chosen(set);
        job.Events.Publish(new SetOrdered(job.Id, time.GetUtcNow(), set));
        return ValueTask.FromResult(new SetDraft(pool.Request, pool.Intent, set));
    }
}
