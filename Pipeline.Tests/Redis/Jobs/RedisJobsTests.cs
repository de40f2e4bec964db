using Pipeline.Redis;
using Pipeline.Redis.Jobs;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Redis.Jobs;

/// <summary>The cluster's jobs on Redis's work-queue semantics, against a real redis-server.</summary>
[Collection(nameof(SerialTests))]
public sealed class RedisJobsTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly TestRedis _redis = new();
    private StackExchange.Redis.IDatabase? _redisDatabase;

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [SkippableFact]
    public async Task ClaimAsync_NewJobs_EachReadByOneHostWithRoom()
    {
        var a = await HostAsync("a");
        var b = await HostAsync("b");
        await AcceptAsync(a, "j1");
        await AcceptAsync(a, "j2");
        await AcceptAsync(a, "j3");

        var byB = await b.ClaimAsync(2);
        var byA = await a.ClaimAsync(5);

        Assert.Equal(["j1", "j2"], byB.Select(j => j.JobId));
        Assert.Equal(["j3"], byA.Select(j => j.JobId));
        Assert.All(byA.Concat(byB), j => Assert.Equal(1, j.Fence));
        Assert.Empty(await a.ClaimAsync(5)); // each read once; none idle yet
    }

    [SkippableFact]
    public async Task AppendAsync_AfterTakeover_TheStaleOwnersWritesAreRefused()
    {
        var stale = await HostAsync("stale");
        var survivor = await HostAsync("survivor");
        await AcceptAsync(stale, "job");
        var claim = (await stale.ClaimAsync(1)).Single();
        Assert.Equal(2, await stale.AppendAsync("job", claim.Fence, [Event(2)], terminal: 0, Retention));

        var taken = await ClaimWhenIdleAsync(survivor); // the stale owner stopped renewing: idle past the lease
        var refused = await stale.AppendAsync("job", claim.Fence, [Event(3)], terminal: 0, Retention);
        var saved = await stale.SaveAsync("job", claim.Fence, "{\"stale\":true}");
        var (lost, _) = await stale.RefreshAsync([claim]);
        var appended = await survivor.AppendAsync("job", taken.Fence, [Event(3)], terminal: 0, Retention);
        var job = await survivor.LoadAsync("job");

        Assert.Equal(claim.Fence + 1, taken.Fence);
        Assert.Equal(-1, refused);
        Assert.False(saved);
        Assert.Equal(["job"], lost);
        Assert.Equal(3, appended);
        Assert.Equal([1L, 2, 3], job!.Events.Select(e => e.Seq));
        Assert.Equal("survivor-seq-3", System.Text.Json.JsonDocument.Parse(job.Events[2].Json).RootElement.GetProperty("by").GetString());
    }

    [SkippableFact]
    public async Task AppendAsync_RetriedAndGapped_NoDuplicateAndNoGap()
    {
        var host = await HostAsync("a");
        await AcceptAsync(host, "job");
        var claim = (await host.ClaimAsync(1)).Single();

        await host.AppendAsync("job", claim.Fence, [Event(2), Event(3)], terminal: 0, Retention);
        var retried = await host.AppendAsync("job", claim.Fence, [Event(3), Event(4)], terminal: 0, Retention); // 3 went through before
        var gap = await Record.ExceptionAsync(() => host.AppendAsync("job", claim.Fence, [Event(6)], terminal: 0, Retention));

        Assert.Equal(4, retried);
        Assert.Contains("gap", gap?.Message, StringComparison.Ordinal);
        Assert.Equal([1L, 2, 3, 4], (await host.LoadAsync("job"))!.Events.Select(e => e.Seq));
    }

    [SkippableFact]
    public async Task AppendAsync_TheTerminalEvent_EndsTheJobAcknowledgesItsEntryAndFreesItsClientsCount()
    {
        var host = await HostAsync("a");
        await host.AcceptAsync("job", "{}", "client", Event(1), bound: 10, clientBound: 1, Retention);
        var second = await host.AcceptAsync("other", "{}", "client", Event(1), bound: 10, clientBound: 1, Retention);
        var claim = (await host.ClaimAsync(1)).Single();

        await host.AppendAsync("job", claim.Fence, [Event(2)], terminal: 2, Retention);
        var afterEnd = await host.AcceptAsync("other", "{}", "client", Event(1), bound: 10, clientBound: 1, Retention);

        Assert.Equal(AcceptResult.ClientBound, second);
        Assert.Equal(AcceptResult.Accepted, afterEnd);
        Assert.True((await host.LoadAsync("job"))!.Ended);
        Assert.Equal(false, await host.CancelAsync("job")); // ended: nothing to cancel
        Assert.Equal(1, await _redisDatabase!.StreamLengthAsync("{test:jobs}:dispatch")); // only the new one left
    }

    [SkippableFact]
    public async Task AcceptAsync_TheClusterFull_Busy()
    {
        var host = await HostAsync("a");
        await host.AcceptAsync("j1", "{}", "c", Event(1), bound: 1, clientBound: 10, Retention);

        Assert.Equal(AcceptResult.Busy, await host.AcceptAsync("j2", "{}", "c", Event(1), bound: 1, clientBound: 10, Retention));
        Assert.Null(await host.LoadAsync("j2")); // nothing of it kept
    }

    [SkippableFact]
    public async Task HandOffAsync_AJobGivenBack_AnotherHostReadsItAtOnceAndTheFenceMoved()
    {
        var leaving = await HostAsync("leaving");
        var other = await HostAsync("other");
        await AcceptAsync(leaving, "job");
        var claim = (await leaving.ClaimAsync(1)).Single();

        Assert.True(await leaving.HandOffAsync(claim));
        var taken = (await other.ClaimAsync(1)).Single();

        Assert.Equal("job", taken.JobId);
        Assert.Equal(claim.Fence + 2, taken.Fence); // once at the hand-off, once at the claim
        Assert.Equal(-1, await leaving.AppendAsync("job", claim.Fence, [Event(2)], terminal: 0, Retention));
    }

    [SkippableFact]
    public async Task CancelAsync_AnyHost_TheOwnersRefreshSeesItAndALaterClaimerToo()
    {
        var owner = await HostAsync("owner");
        var other = await HostAsync("other");
        await AcceptAsync(owner, "job");
        var claim = (await owner.ClaimAsync(1)).Single();

        Assert.Equal(true, await other.CancelAsync("job"));
        Assert.Null(await other.CancelAsync("nope"));
        var (_, cancel) = await owner.RefreshAsync([claim]);
        var takenLater = await ClaimWhenIdleAsync(other);

        Assert.Equal(["job"], cancel);
        Assert.True(takenLater.CancelAsked);
    }

    [SkippableFact]
    public async Task Readers_HostsEnterAndLeave_TheCountIsTheHostsReading()
    {
        var a = await HostAsync("a");
        var b = await HostAsync("b");

        await a.EnterReadersAsync("job", TimeSpan.FromSeconds(30));
        Assert.Equal(2, await b.EnterReadersAsync("job", TimeSpan.FromSeconds(30)));
        await a.LeaveReadersAsync("job");
        Assert.Equal(1, await a.CountReadersAsync("job"));
        await b.EnterReadersAsync("job", TimeSpan.FromMilliseconds(1)); // as a dead host's lease runs out
        await Signals.UntilAsync(async () => await a.CountReadersAsync("job") == 0);
    }

    private static StreamedEvent Event(long seq) => new(seq, "test.event", $"{{\"seq\":{seq},\"by\":\"survivor-seq-{seq}\"}}");

    private static Task<AcceptResult> AcceptAsync(RedisJobs jobs, string id) => jobs.AcceptAsync(id, "{}", "c", Event(1), bound: 100, clientBound: 100, Retention);

    private static async Task<ClaimedJob> ClaimWhenIdleAsync(RedisJobs jobs)
    {
        ClaimedJob? taken = null;
        await Signals.UntilAsync(async () => (taken = (await jobs.ClaimAsync(1)).SingleOrDefault()) is not null);
        return taken!;
    }

    private async Task<RedisJobs> HostAsync(string host)
    {
        var (cluster, options) = await _redis.ConnectAsync(host, new ClusterOptions { Name = "test", LeaseTime = Lease });
        _redisDatabase ??= cluster.Database;
        var jobs = new RedisJobs(cluster, options);
        await jobs.EnsureGroupAsync();
        return jobs;
    }
}
