using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Pipeline.Redis;
using Pipeline.Redis.Caching;
using Pipeline.Stages.Caching;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Redis.Caching;

/// <summary>The answer cache hosts share through Redis, as cluster mode registers it, against a real redis-server.</summary>
[Collection(nameof(SerialTests))]
public sealed class SharedUpstreamCacheTests : IAsyncLifetime
{
    private readonly TestRedis _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [SkippableFact]
    public async Task GetAsync_AnswerOneHostStored_AHitOnAnother()
    {
        var a = await HostAsync();
        var b = await HostAsync();

        var before = await b.Cache.GetAsync<Answer>("track", "42", CancellationToken.None);
        await a.Cache.SetAsync("track", "42", new Answer("Sunset", 124), CancellationToken.None);
        var after = await b.Cache.GetAsync<Answer>("track", "42", CancellationToken.None);

        Assert.False(before.Found); // a miss is not remembered as one: the later answer is seen
        Assert.Equal((true, new Answer("Sunset", 124)), after);
        Assert.IsType<SharedUpstreamCache>(a.Cache);
    }

    [SkippableFact]
    public async Task SetAsync_NotFound_AHitWithNoValue_KeptForTheShortTtl()
    {
        var a = await HostAsync();
        var b = await HostAsync();

        await a.Cache.SetAsync<Answer>("track", "missing", null, CancellationToken.None);
        var seen = await b.Cache.GetAsync<Answer>("track", "missing", CancellationToken.None);
        var ttl = await a.Cluster.Database.KeyTimeToLiveAsync("{test:cache}:track:missing");

        Assert.Equal((true, (Answer?)null), seen);
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [SkippableFact]
    public async Task GetAsync_RedisGone_TheMemoryLevelServesAndNothingIsLoggedPerLookup()
    {
        var a = await HostAsync();
        await a.Cache.SetAsync("track", "1", new Answer("Dawn", 120), CancellationToken.None);
        await _redis.Server.KillAsync();
        await Signals.UntilAsync(() => !a.Cluster.IsConnected);

        var remembered = await a.Cache.GetAsync<Answer>("track", "1", CancellationToken.None);
        await a.Cache.SetAsync("track", "2", new Answer("Dusk", 118), CancellationToken.None);
        var storedApart = await a.Cache.GetAsync<Answer>("track", "2", CancellationToken.None);
        var miss = await a.Cache.GetAsync<Answer>("track", "3", CancellationToken.None);

        Assert.Equal((true, new Answer("Dawn", 120)), remembered);
        Assert.Equal((true, new Answer("Dusk", 118)), storedApart);
        Assert.False(miss.Found);
        Assert.DoesNotContain(a.Logs.GetSnapshot(), l => l.Level >= LogLevel.Warning && l.Category != typeof(RedisCluster).FullName); // the one line is the connection's
    }

    private async Task<(IUpstreamCache Cache, RedisCluster Cluster, FakeLogCollector Logs)> HostAsync()
    {
        var server = await _redis.ServerAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:Cluster:Redis"] = server.ConnectionString,
            ["Pipeline:Cluster:Name"] = "test",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddLogging(logging => logging.AddFakeLogging())
            .AddMetrics()
            .AddRedisCluster(configuration);
        services.AddOptions<CacheOptions>();
        services.AddSingleton<CacheMetrics>();
        var provider = _redis.Own(services.BuildServiceProvider());
        return (provider.GetRequiredService<IUpstreamCache>(), provider.GetRequiredService<RedisCluster>(), provider.GetFakeLogCollector());
    }

    private sealed record Answer(string Title, int Bpm);
}
