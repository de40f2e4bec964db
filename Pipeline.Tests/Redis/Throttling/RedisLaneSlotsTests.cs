using Microsoft.Extensions.Time.Testing;
using Pipeline.Redis;
using Pipeline.Redis.Throttling;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Redis.Throttling;

/// <summary>Lane slots as leases several hosts share, against a real redis-server.</summary>
[Collection(nameof(SerialTests))]
public sealed class RedisLaneSlotsTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(1);
    private readonly TestRedis _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [SkippableFact]
    public async Task TakeSlotAsync_TheLimitHeldAcrossHosts_TheNextWaitsUntilOneIsGivenBack()
    {
        var (a, _) = await HostAsync("a");
        var (b, bCluster) = await HostAsync("b");
        var first = await a.TakeSlotAsync("deezer", 2, CancellationToken.None).Within();
        using var second = await b.TakeSlotAsync("deezer", 2, CancellationToken.None).Within();

        var third = b.TakeSlotAsync("deezer", 2, CancellationToken.None).AsTask();
        await bCluster.Database.PingAsync(); // after the third's script on the same connection: its answer is in
        var held = await bCluster.Database.SortedSetLengthAsync(bCluster.Key("lane", "deezer", "slots"));
        var grantedEarly = third.IsCompleted;
        first.Dispose();
        using var granted = await third.Within(); // woken by a's release on the channel

        Assert.Equal(2, held); // the third took no lease while two were held
        Assert.False(grantedEarly);
    }

    [SkippableFact]
    public async Task TakeSlotAsync_HostsHoldDifferentLimits_TheSmallestLiveOneApplies()
    {
        var (low, _) = await HostAsync("low");
        var (high, _) = await HostAsync("high");
        using var held = await low.TakeSlotAsync("deezer", 1, CancellationToken.None).Within();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => high.TakeSlotAsync("deezer", 5, cancel.Token).AsTask());
    }

    [SkippableFact]
    public async Task TakeSlotAsync_AHostKilledHoldingSlots_TheOthersGetThemWhenTheLeasesExpire()
    {
        var (doomed, doomedCluster) = await HostAsync("doomed");
        var (survivor, _) = await HostAsync("survivor");
        await doomed.TakeSlotAsync("spotify", 2, CancellationToken.None).Within();
        await doomed.TakeSlotAsync("spotify", 2, CancellationToken.None).Within();

        var waiting = survivor.TakeSlotAsync("spotify", 2, CancellationToken.None).AsTask();
        doomed.Dispose(); // as kill -9 leaves it: no renewal, no release
        doomedCluster.Dispose();
        using var granted = await waiting.WaitAsync(Lease * 5); // within the lease time, plus scheduling
        using var another = await survivor.TakeSlotAsync("spotify", 2, CancellationToken.None).Within();
    }

    [SkippableFact]
    public async Task Renewal_HeldSlots_TheirLeasesMovedOnEachThirdOfTheLeaseTime()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var (host, cluster) = await HostAsync("a", time);
        using var slot = await host.TakeSlotAsync("lastfm", 3, CancellationToken.None).Within();
        var key = cluster.Key("lane", "lastfm", "slots");
        var before = (await cluster.Database.SortedSetRangeByRankWithScoresAsync(key)).Single().Score;

        time.Advance(Lease / 3);
        await Signals.UntilAsync(async () => (await cluster.Database.SortedSetRangeByRankWithScoresAsync(key)).Single().Score > before);
    }

    [SkippableFact]
    public async Task TakeSlotAsync_RedisGone_EachHostKeepsToItsShareAndEntersItsSlotsWhenRedisIsBack()
    {
        var (host, cluster) = await HostAsync("a", hosts: 2);
        await _redis.Server.KillAsync();
        await Signals.UntilAsync(() => !cluster.IsConnected);

        var first = await host.TakeSlotAsync("deezer", 4, CancellationToken.None).Within();
        using var second = await host.TakeSlotAsync("deezer", 4, CancellationToken.None).Within();
        var third = host.TakeSlotAsync("deezer", 4, CancellationToken.None).AsTask();
        await Signals.SettleAsync(); // its try at Redis fails at once, and the share is full: it waits
        var beyondShare = third.IsCompleted;
        first.Dispose();
        using var granted = await third.Within();
        await _redis.RestartEmptyAsync(); // back, empty: the two slots held meanwhile must count there
        await Signals.UntilAsync(() => cluster.IsConnected);
        await Signals.UntilAsync(async () => await cluster.Database.SortedSetLengthAsync(cluster.Key("lane", "deezer", "slots")) == 2);

        Assert.False(beyondShare); // 4 slots over 2 expected hosts: 2 each
    }

    [SkippableFact]
    public async Task Pause_OneHostPausesALane_TheOthersHearIt()
    {
        var (a, _) = await HostAsync("a");
        var (b, _) = await HostAsync("b");
        var heardByB = new TaskCompletionSource<(string, TimeSpan)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var heardByA = 0;
        b.Paused += (lane, retryAfter) => heardByB.TrySetResult((lane, retryAfter));
        a.Paused += (_, _) => Interlocked.Increment(ref heardByA);

        a.Pause("spotify", TimeSpan.FromSeconds(3));

        Assert.Equal(("spotify", TimeSpan.FromSeconds(3)), await heardByB.Task.Within());
        await b.TakeSlotAsync("x", 1, CancellationToken.None).Within(); // a round trip after the message
        Assert.Equal(0, heardByA); // its own pause is already in force there
    }

    private async Task<(RedisLaneSlots Slots, RedisCluster Cluster)> HostAsync(string host, TimeProvider? time = null, int hosts = 1)
    {
        var (cluster, options) = await _redis.ConnectAsync(host, new ClusterOptions { Name = "test", LeaseTime = Lease, ExpectedHosts = hosts });
        return (_redis.Own(new RedisLaneSlots(cluster, options, time ?? TimeProvider.System, new ClusterMetrics(TestMeters.Create()))), cluster);
    }
}
