using Microsoft.Extensions.Options;
using Pipeline.Redis;
using Pipeline.Redis.Throttling;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Redis.Throttling;

/// <summary>The reservation script's arithmetic, against a real redis-server.</summary>
[Collection(nameof(SerialTests))]
public sealed class RedisStartReservationsTests : IAsyncLifetime
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly TestRedis _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [SkippableFact]
    public async Task ReserveAsync_MoreThanTheLimit_TheRestWaitUntilTheStartLimitPlacesBackIsAWindowOld()
    {
        var cluster = await ClusterAsync("a");
        var reservations = Reservations(cluster);

        var asked = DateTimeOffset.UtcNow;
        var answer = await reservations.ReserveAsync("global", 5, 3, Second, TimeSpan.Zero, [], CancellationToken.None);

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, Second, Second], Delays(answer));
        Assert.InRange(answer.Now, asked.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1)); // Redis's clock, the machine's here
    }

    [SkippableFact]
    public async Task ReserveAsync_Spacing_EachStartThatFarAfterTheLast()
    {
        var cluster = await ClusterAsync("a");

        var delays = Delays(await Reservations(cluster).ReserveAsync("lane:lastfm", 3, 100, Second, TimeSpan.FromMilliseconds(200), [], CancellationToken.None));

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)], delays);
    }

    [SkippableFact]
    public async Task ReserveAsync_TwoHostsOneLog_TheSecondHostWaitsForTheFirstsStarts()
    {
        var a = await ClusterAsync("a");
        var b = await ClusterAsync("b");

        var first = Delays(await Reservations(a).ReserveAsync("global", 2, 2, Second, TimeSpan.Zero, [], CancellationToken.None));
        var second = Delays(await Reservations(b).ReserveAsync("global", 1, 2, Second, TimeSpan.Zero, [], CancellationToken.None));

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], first);
        Assert.InRange(Assert.Single(second), Second - TimeSpan.FromMilliseconds(500), Second); // a's starts, less the time between the calls
    }

    [SkippableFact]
    public async Task ReserveAsync_HostsHoldDifferentLimits_TheSmallestLiveOneApplies()
    {
        var high = await ClusterAsync("high");
        var low = await ClusterAsync("low");
        await Reservations(low).ReserveAsync("global", 1, 2, Second, TimeSpan.Zero, [], CancellationToken.None);

        var delays = Delays(await Reservations(high).ReserveAsync("global", 3, 10, Second, TimeSpan.Zero, [], CancellationToken.None));

        Assert.Equal(TimeSpan.Zero, delays[0]); // the second of two
        Assert.All(delays.Skip(1), d => Assert.True(d > Second / 2, $"{d}")); // the third waits a window, under the low limit
    }

    [SkippableFact]
    public async Task ReserveAsync_StartsMadeApart_CountedBeforeTheNewOnes()
    {
        var cluster = await ClusterAsync("a");
        var now = DateTimeOffset.UtcNow;

        var delays = Delays(await Reservations(cluster).ReserveAsync("global", 1, 2, Second, TimeSpan.Zero, [now, now], CancellationToken.None));

        Assert.True(Assert.Single(delays) > Second / 2, $"{delays[0]}");
    }

    [SkippableFact]
    public async Task ReserveAsync_Keys_UnderTheClusterNameAndExpiring()
    {
        var cluster = await ClusterAsync("a", name: "blue");

        await Reservations(cluster).ReserveAsync("global", 1, 5, Second, TimeSpan.Zero, [], CancellationToken.None);

        var ttl = await cluster.Database.KeyTimeToLiveAsync("{blue:throttle:global}:starts");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8)); // the window and the lease
    }

    [SkippableFact]
    public async Task Restamp_AStartLeftLate_TheNextWaitsFromItsRealTime()
    {
        var cluster = await ClusterAsync("a");
        var reservations = Reservations(cluster);
        var first = Assert.Single((await reservations.ReserveAsync("global", 1, 1, Second, TimeSpan.Zero, [], CancellationToken.None)).Starts);

        reservations.Restamp("global", first, TimeSpan.FromMilliseconds(300));
        await cluster.Database.PingAsync(); // after the restamp, which is not waited for
        var next = Assert.Single((await reservations.ReserveAsync("global", 1, 1, Second, TimeSpan.Zero, [], CancellationToken.None)).Starts);

        Assert.InRange(next.Delay, TimeSpan.FromMilliseconds(1200), TimeSpan.FromMilliseconds(1300)); // a window from the real start, less the time between
    }

    [SkippableFact]
    public async Task ReserveAsync_RedisGone_FailsAtOnceNotAfterATimeout()
    {
        var cluster = await ClusterAsync("a");
        await Reservations(cluster).ReserveAsync("global", 1, 5, Second, TimeSpan.Zero, [], CancellationToken.None);

        await _redis.Server.KillAsync();
        await Signals.UntilAsync(() => !cluster.IsConnected);

        // A connection failure, not a timeout: the host keeps to its share meanwhile instead of stalling its waiters.
        await Assert.ThrowsAsync<StackExchange.Redis.RedisConnectionException>(() => Reservations(cluster).ReserveAsync("global", 1, 5, Second, TimeSpan.Zero, [], CancellationToken.None).AsTask());
    }

    private static List<TimeSpan> Delays(ReservedStarts answer) => [.. answer.Starts.Select(s => s.Delay)];

    private static RedisStartReservations Reservations(RedisCluster cluster) =>
        new(cluster, Options.Create(new ClusterOptions { Redis = "unused", ExpectedHosts = 2 }), TimeProvider.System, new ClusterMetrics(TestMeters.Create()));

    // A host's connection to the test's redis-server, started on first use (the test is skipped where there is none).
    private async Task<RedisCluster> ClusterAsync(string host, string name = "test") =>
        (await _redis.ConnectAsync(host, new ClusterOptions { Name = name })).Cluster;
}
