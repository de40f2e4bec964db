using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Stages.Caching;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Caching;

public sealed class UpstreamCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CoreHarness _core = new();

    public void Dispose()
    {
        _core.Dispose();
        _dir.Dispose();
    }

    private UpstreamCache Open(int memoryEntries = 0, TimeProvider? time = null) =>
        new(_dir.File("cache.db"), Options.Create(new CacheOptions { MemoryEntries = memoryEntries }), time ?? TimeProvider.System, new CacheMetrics(_core.MeterFactory), Microsoft.Extensions.Logging.Abstractions.NullLogger<UpstreamCache>.Instance);

    [Fact]
    public async Task SetAsync_ThenReopened_AnswersComeFromTheFile()
    {
        await using (var cache = Open())
        {
            for (var i = 0; i < 500; i++)
            {
                await cache.SetAsync("deezer.track", $"isrc{i}", new Sample(i, $"track {i}"), CancellationToken.None);
            }

            await cache.SetAsync<Sample>("deezer.track", "unknown", null, CancellationToken.None);
            await cache.FlushAsync(CancellationToken.None);
        }

        await using var reopened = Open();
        Assert.Equal((true, new Sample(321, "track 321")), await reopened.GetAsync<Sample>("deezer.track", "isrc321", CancellationToken.None));
        Assert.Equal((true, (Sample?)null), await reopened.GetAsync<Sample>("deezer.track", "unknown", CancellationToken.None));
        Assert.Equal((false, (Sample?)null), await reopened.GetAsync<Sample>("deezer.track", "never", CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentReadersAndWriters_EveryReadSeesTheWriteBeforeIt()
    {
        await using var cache = Open(); // no memory front: every lookup goes to the file
        var written = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                var key = $"{w}:{i}";
                await cache.SetAsync("spotify.features", key, new Sample(i, key), CancellationToken.None);
                written[key] = i;
            }
        }));
        var wrong = 0;
        var readers = Enumerable.Range(0, 8).Select(r => Task.Run(async () =>
        {
            var rng = new Random(r);
            for (var i = 0; i < 1_000; i++)
            {
                var keys = written.Keys.ToArray();
                if (keys.Length == 0)
                {
                    await Task.Yield();
                    continue;
                }

                var key = keys[rng.Next(keys.Length)];
                var (found, value) = await cache.GetAsync<Sample>("spotify.features", key, CancellationToken.None);
                if (!found || value!.Name != key)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        }));

        await Task.WhenAll(writers.Concat(readers)).Within();

        Assert.Equal(0, wrong);
        await cache.FlushAsync(CancellationToken.None);
        Assert.Equal((true, new Sample(999, "7:999")), await cache.GetAsync<Sample>("spotify.features", "7:999", CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_AfterTtl_NotFoundExpiresInMinutesFoundStays()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        await using var cache = Open(memoryEntries: 100, time);
        await cache.SetAsync<Sample>("lastfm.tags", "missing", null, CancellationToken.None);
        await cache.SetAsync("lastfm.tags", "present", new Sample(1, "x"), CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.False((await cache.GetAsync<Sample>("lastfm.tags", "missing", CancellationToken.None)).Found);
        Assert.True((await cache.GetAsync<Sample>("lastfm.tags", "present", CancellationToken.None)).Found);
        time.Advance(TimeSpan.FromDays(90));
        Assert.False((await cache.GetAsync<Sample>("lastfm.tags", "present", CancellationToken.None)).Found);
    }

    [Fact]
    public async Task GetAsync_HitAndMiss_CountedByKind()
    {
        using var lookups = _core.Collect<long>("pipeline.cache.lookups");
        await using var cache = Open(memoryEntries: 10);
        await cache.SetAsync("deezer.track", "a", new Sample(1, "a"), CancellationToken.None);

        await cache.GetAsync<Sample>("deezer.track", "a", CancellationToken.None);
        await cache.GetAsync<Sample>("deezer.track", "b", CancellationToken.None);

        Assert.Equal(["hit", "miss"], lookups.GetMeasurementSnapshot().Select(m => (string)m.Tags["result"]!));
        Assert.All(lookups.GetMeasurementSnapshot(), m => Assert.Equal("deezer.track", m.Tags["kind"]));
    }

    public sealed record Sample(int Number, string Name);
}
