using Pipeline.Jobs;
using Pipeline.Stages.Events;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// The sequencing stage: selects the set from a job's enriched pool and orders it along the intent's tempo curve
/// (<see cref="SetSequencer"/>), then publishes it (<c>set.ordered</c>) for the model to annotate.
/// </summary>
internal sealed class SequencingWork(SetMetrics metrics, TimeProvider time)
{
    public const string Stage = "sequencing";

    public ValueTask<SetResult> RunAsync(SetPool pool, JobContext job, CancellationToken cancellationToken)
    {
        try
        {
            var set = SetSequencer.Sequence(pool.Tracks, pool.Intent);
            metrics.Chosen(set);
            job.Events.Publish(new SetOrdered(job.Id, time.GetUtcNow(), set));
            pool.Done.TrySetResult(set);
            return ValueTask.FromResult(set);
        }
        catch (Exception e)
        {
            pool.Done.TrySetException(e); // the job ends failed instead of waiting for a set that will not come
            throw;
        }
    }
}
