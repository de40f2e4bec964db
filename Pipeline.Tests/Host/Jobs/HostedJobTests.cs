using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>A hosted job's grace period for its readers: it abandons a running job, never one that has ended.</summary>
public sealed class HostedJobTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public void Ended_WhileAGracePeriodCounts_ItsTimerIsDroppedAndNeverRuns(bool ended, int abandonedAfterGrace)
    {
        // A job owned in the cluster starts its grace period at once (its readers are on other hosts); a timer that
        // outlived the run would hold the job and its whole log in memory until the grace ran out.
        using var core = new CoreHarness();
        var context = core.Jobs.Start();
        var job = new HostedJob(new JobRecord { Id = "job", Prompt = "house" }, new JobLog(core.Time, JobEventTypes.All), new SetJobView(10), context, core.Time);
        var abandoned = 0;
        job.Subscribe(Grace, _ => abandoned++).Dispose(); // nobody listens here: the grace period starts

        if (ended)
        {
            core.Jobs.End(context, JobOutcome.Completed);
            job.Ended();
        }

        core.FakeTime.Advance(Grace);

        Assert.Equal(abandonedAfterGrace, abandoned);
    }
}
