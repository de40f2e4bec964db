using Microsoft.Extensions.DependencyInjection;
using Pipeline.Host.Jobs;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

[Collection(nameof(SerialTests))]
public sealed class JobServiceTests
{
    private static readonly JobRequest House = new("house", TrackCount: 3);

    [Fact]
    public async Task TryStartAsync_Accepted_JobAcceptedIsTheLogsFirstEntryAndOnlyItsClientFindsIt()
    {
        using var host = new HostServer();
        var jobs = host.Services.GetRequiredService<JobService>();

        var admitted = await jobs.TryStartAsync(House, "alice");

        var job = Assert.IsType<HostedJob>(admitted.Job);
        await foreach (var first in job.Log.ReadAsync(0, CancellationToken.None))
        {
            Assert.Equal((1L, "job.accepted"), (first.Seq, first.Type));
            break;
        }

        Assert.Same(job, await jobs.FindAsync(job.Id, "alice", CancellationToken.None).Within());
        Assert.Null(await jobs.FindAsync(job.Id, "bob", CancellationToken.None).Within()); // as unknown as an id never issued
        await job.Run.Within();
        Assert.Equal("completed", JobSnapshot.Of(job).State);
        Assert.Null(await jobs.FindAsync(job.Id.ToUpperInvariant(), "alice", CancellationToken.None).Within()); // ids are lower-case hex, matched exactly
    }

    [Fact]
    public async Task TryStartAsync_RunningAndQueuedAtTheirBounds_RefusedBusyWithARetryAfter()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Admission:MaxActiveJobs"] = "1",
            ["Pipeline:Admission:MaxQueuedJobs"] = "0",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "5", // keep the first job running
        });
        var jobs = host.Services.GetRequiredService<JobService>();

        var first = await jobs.TryStartAsync(House, "alice");
        var refused = await jobs.TryStartAsync(House, "alice");

        Assert.NotNull(first.Job);
        Assert.Equal(("busy", null), (refused.Refused, refused.Job));
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.True(await jobs.CancelAsync(first.Job!));
        await first.Job!.Run.Within();
    }

    [Fact]
    public async Task TryStartAsync_AClientAtItsOwnBound_RefusedWhileAnotherClientStartsAndItsSlotComesBackWhenAJobEnds()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Auth:Tokens:alice"] = "alice-secret-token-1",
            ["Pipeline:Auth:Tokens:bob"] = "bob-secret-token-22",
            ["Pipeline:Admission:MaxActiveJobsPerClient"] = "1",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "5", // keep the first job running
            ["Pipeline:Storage:DrainTimeout"] = "00:00:00",
        });
        var jobs = host.Services.GetRequiredService<JobService>();

        var first = await jobs.TryStartAsync(House, "alice");
        var refused = await jobs.TryStartAsync(House, "alice");
        var bobs = await jobs.TryStartAsync(House, "bob");

        Assert.NotNull(first.Job);
        Assert.Equal(("client_jobs", null), (refused.Refused, refused.Job));
        Assert.NotNull(bobs.Job);
        Assert.True(await jobs.CancelAsync(first.Job!));
        await first.Job!.Run.Within();
        Assert.NotNull((await jobs.TryStartAsync(House, "alice")).Job);
    }

    [Fact]
    public async Task DrainAsync_NothingRunning_ReturnsAndNoJobIsAdmittedAfter()
    {
        using var host = new HostServer();
        var jobs = host.Services.GetRequiredService<JobService>();

        await jobs.DrainAsync(CancellationToken.None).Within();

        Assert.True(jobs.IsStopping);
        Assert.Equal("stopping", jobs.NotReady);
        Assert.Equal("stopping", (await jobs.TryStartAsync(House, "alice")).Refused);
    }
}
