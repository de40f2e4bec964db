using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Host.Cluster;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Host.Telemetry;
using Pipeline.Redis;
using Pipeline.Redis.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Redis.Jobs;

/// <summary>A host's job store in Redis, against a real redis-server: what it writes, and what a stale owner cannot.</summary>
[Collection(nameof(SerialTests))]
public sealed class ClusterJobStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(200);
    private readonly TestRedis _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [SkippableFact]
    public async Task Pending_TheOwnersEvents_InRedisBeforeReadersSeeThem_AndTheRecordFollows()
    {
        var (jobs, store) = await HostAsync("owner");
        var claim = await AcceptAndClaimAsync(jobs, "job");
        store.Own(claim);
        var log = Restored(store, "job");

        log.Publish(new IntentParsed("job", DateTimeOffset.UnixEpoch, null!));
        await store.FlushAsync().Within();
        store.Save(new JobRecord { Id = "job", Prompt = "saved", CallsUsed = 7 });
        await store.FlushAsync().Within();
        var stored = await store.FindAsync("job");

        Assert.Equal(2, log.LastSequence);
        Assert.Equal([1L, 2], stored!.Events.Select(e => e.Seq));
        Assert.Equal("intent", stored.Events[1].Type);
        Assert.Equal((7, "saved"), (stored.Record.CallsUsed, stored.Record.Prompt));
    }

    [SkippableFact]
    public async Task Pending_AfterAnotherHostTookTheJobOver_TheStaleOwnersEventsAreRefusedAndTheJobStopsHere()
    {
        var (stale, store) = await HostAsync("stale");
        var (survivor, _) = await HostAsync("survivor");
        var claim = await AcceptAndClaimAsync(stale, "job");
        store.Own(claim);
        var fenced = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Fenced += id => fenced.TrySetResult(id);
        var log = Restored(store, "job");

        ClaimedJob? taken = null;
        await Signals.UntilAsync(async () => (taken = (await survivor.ClaimAsync(1)).SingleOrDefault()) is not null); // the stale host stopped renewing
        log.Publish(new IntentParsed("job", DateTimeOffset.UnixEpoch, null!));

        Assert.Equal("job", await fenced.Task.Within());
        await store.FlushAsync().Within();
        Assert.Equal(1, log.LastSequence); // its readers never see what Redis refused
        Assert.Equal([1L], (await store.FindAsync("job"))!.Events.Select(e => e.Seq));
        Assert.False(store.TryGetClaim("job", out _));
        Assert.Equal(claim.Fence + 1, taken!.Fence);
    }

    [SkippableFact]
    public async Task Save_AnEndingRecordBeforeTheTerminalEvent_TheTerminalIsStillWrittenAndTheClaimKeptUntilThen()
    {
        var (jobs, store) = await HostAsync("owner");
        var claim = await AcceptAndClaimAsync(jobs, "job");
        store.Own(claim);
        var log = Restored(store, "job");

        store.Save(new JobRecord { Id = "job", Prompt = "house", Ended = true, CallsUsed = 3 }); // its writer's round can come before the terminal event's
        await store.FlushAsync().Within();
        var heldMeanwhile = store.TryGetClaim("job", out _);
        log.Publish(new Pipeline.Events.JobEnded("job", DateTimeOffset.UnixEpoch, Pipeline.Jobs.JobOutcome.Completed, null));
        await store.FlushAsync().Within();
        await store.FlushAsync().Within(); // the record's round follows the terminal event's
        var stored = await store.FindAsync("job");

        Assert.True(heldMeanwhile);
        Assert.Equal(["job.accepted", "job.completed"], stored!.Events.Select(e => e.Type));
        Assert.True(stored.Record.Ended);
        Assert.Equal(3, stored.Record.CallsUsed);
        Assert.False(store.TryGetClaim("job", out _)); // released once both are written
        Assert.Empty(store.Claims);
    }

    private static JobLog Restored(ClusterJobStore store, string id)
    {
        var accepted = JobLog.Entry(new JobAccepted(id, DateTimeOffset.UnixEpoch, "house", 5), 1);
        return JobLog.Restore([accepted], [], TimeProvider.System, JobEventTypes.All, store: store);
    }

    private static async Task<ClaimedJob> AcceptAndClaimAsync(RedisJobs jobs, string id)
    {
        var accepted = JobLog.Entry(new JobAccepted(id, DateTimeOffset.UnixEpoch, "house", 5), 1);
        await jobs.AcceptAsync(id, ClusterJobStore.Serialize(new JobRecord { Id = id, Prompt = "house" }), "c", new StreamedEvent(1, accepted.Type, accepted.Json), 10, 10, TimeSpan.FromHours(1));
        return (await jobs.ClaimAsync(1)).Single();
    }

    private async Task<(RedisJobs Jobs, ClusterJobStore Store)> HostAsync(string host)
    {
        var (cluster, options) = await _redis.ConnectAsync(host, new ClusterOptions { Name = "pipeline", LeaseTime = Lease });
        var jobs = new RedisJobs(cluster, options);
        await jobs.EnsureGroupAsync();
        var store = new ClusterJobStore(jobs, cluster, Options.Create(new StorageOptions()), TimeProvider.System, new HostMetrics(TestMeters.Create()), NullLogger<ClusterJobStore>.Instance);
        return (jobs, _redis.Own(store));
    }
}
