using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Redis;
using Pipeline.Stages.Caching;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Cluster;

/// <summary>
/// What a cache hit costs: the single host's LiteDB file against the cluster's HybridCache over Redis, each from its
/// second level (the file; Redis, from another host than the one that stored it) and from its memory level.
/// </summary>
internal static class CacheHits
{
    private const int Keys = 2000;

    public static async Task RunAsync(TextWriter output)
    {
        var tracks = Enumerable.Range(0, Keys).Select(i => new Track($"id{i:D6}", $"Track {i}", [$"Artist {i % 97}"], $"Album {i % 31}", "2019-03-29", 200_000 + i, $"QZ{i:D10}", i)).ToArray();
        output.WriteLine($"Cache hits, {Keys} tracks stored then read one after another: p50 / p99 per hit");
        output.WriteLine();
        output.WriteLine("| cache | from its second level | from memory |");
        output.WriteLine("|---|---:|---:|");

        var folder = Directory.CreateTempSubdirectory("pipeline-cache-bench-");
        try
        {
            var path = Path.Combine(folder.FullName, "cache.db");
            await using (var writer = LiteDb(path))
            {
                foreach (var track in tracks)
                {
                    await writer.SetAsync("track", track.Id, track, CancellationToken.None);
                }

                await writer.FlushAsync(CancellationToken.None);
            }

            await using var reader = LiteDb(path); // reopened: its memory front empty, every first read from the file
            output.WriteLine($"| single host: LiteDB file | {await HitsAsync(reader, tracks)} | {await HitsAsync(reader, tracks)} |");
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        await using var redis = await RedisServer.StartAsync();
        await using var hostA = Shared(redis);
        await using var hostB = Shared(redis);
        var storing = hostA.GetRequiredService<IUpstreamCache>();
        foreach (var track in tracks)
        {
            await storing.SetAsync("track", track.Id, track, CancellationToken.None);
        }

        var reading = hostB.GetRequiredService<IUpstreamCache>(); // another host: its memory level empty
        output.WriteLine($"| cluster: HybridCache over Redis | {await HitsAsync(reading, tracks)} | {await HitsAsync(reading, tracks)} |");
        output.WriteLine();
    }

    private static async Task<string> HitsAsync(IUpstreamCache cache, Track[] tracks)
    {
        var took = new double[tracks.Length];
        for (var i = 0; i < tracks.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var (found, _) = await cache.GetAsync<Track>("track", tracks[i].Id, CancellationToken.None);
            took[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            if (!found)
            {
                throw new InvalidOperationException($"{tracks[i].Id} was not a hit.");
            }
        }

        Array.Sort(took);
        return $"{took[took.Length / 2]:0.0} / {took[(int)(took.Length * 0.99)]:0.0} µs";
    }

    private static UpstreamCache LiteDb(string path) => new(
        path,
        Options.Create(new CacheOptions()),
        TimeProvider.System,
        new CacheMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
        NullLogger<UpstreamCache>.Instance);

    // A host's shared cache, as cluster mode registers it.
    private static ServiceProvider Shared(RedisServer redis)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Pipeline:Cluster:Redis"] = redis.ConnectionString }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddMetrics()
            .AddRedisCluster(configuration);
        services.AddOptions<CacheOptions>();
        services.AddSingleton<CacheMetrics>();
        return services.BuildServiceProvider();
    }
}
