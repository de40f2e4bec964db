using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Pipeline.Stages.Caching;
using Pipeline.Stages.Storage;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Caching;

/// <summary>A cache whose disk fills or whose file is damaged: it stops caching and says so once, and jobs go on.</summary>
public sealed class CacheFaultTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly CoreHarness _core = new();
    private readonly FaultyFiles _files = new();
    private readonly FakeLogger<UpstreamCache> _logs = new();

    public void Dispose()
    {
        _core.Dispose();
        _dir.Dispose();
    }

    private UpstreamCache Open(CorruptionPolicy policy = CorruptionPolicy.Quarantine, bool faulty = false) =>
        new(_dir.File("cache.db"), Options.Create(new CacheOptions { MemoryEntries = 0 }), _core.Time, new CacheMetrics(_core.MeterFactory), _logs, policy, faulty ? _files.Wrap : null);

    private static Task Set(UpstreamCache cache, string key) => cache.SetAsync("lastfm.tags", key, new[] { "house", key }, CancellationToken.None).AsTask();

    private static async Task<bool> Has(UpstreamCache cache, string key) => (await cache.GetAsync<string[]>("lastfm.tags", key, CancellationToken.None).Within()).Found;

    [Theory]
    [InlineData("No space left on device")]
    [InlineData("Input/output error")]
    public async Task DiskFails_CacheRestsWithOneErrorLine_LookupsMissAtOnce_ThenCachesAgain(string fault)
    {
        await using (var cache = Open(faulty: true))
        {
            await Set(cache, "before");
            await cache.FlushAsync(CancellationToken.None).Within();
            if (fault.StartsWith("No space", StringComparison.Ordinal))
            {
                _files.Fill();
            }
            else
            {
                _files.Break();
            }

            for (var i = 0; i < 50; i++)
            {
                await Set(cache, $"during{i}").Within(); // never waits on the failing file
                await cache.FlushAsync(CancellationToken.None).Within();
            }

            Assert.False(await Has(cache, "before")); // resting: a miss at once, the upstream is asked instead
            var errors = _logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Error).ToList();
            Assert.Contains(fault, Assert.Single(errors).Message, StringComparison.Ordinal);

            _files.Recover();
            _core.FakeTime.Advance(UpstreamCache.RetryInterval);
            await Set(cache, "after");
            await cache.FlushAsync(CancellationToken.None).Within();
            Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("writes again", StringComparison.Ordinal));
        }

        GC.Collect(); // a LiteDB engine given up on must not take the process down from its finalizer
        GC.WaitForPendingFinalizers();
        await using var reopened = Open();
        Assert.True(await Has(reopened, "before"));
        Assert.True(await Has(reopened, "after"));
    }

    [Theory]
    [MemberData(nameof(DamagedFiles.Kinds), MemberType = typeof(DamagedFiles))]
    public async Task Open_DamagedFile_MovedAsideErrorNamesItFreshCacheWorks(string damage)
    {
        await using (var cache = Open())
        {
            for (var i = 0; i < 300; i++)
            {
                await Set(cache, $"key{i}");
            }

            await cache.FlushAsync(CancellationToken.None).Within();
        }

        var path = _dir.File("cache.db");
        DamagedFiles.Damage(path, damage);

        await using var reopened = Open();

        Assert.Single(Directory.GetFiles(_dir.Path, "cache.db.corrupt-*"));
        var error = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("entries could be read", error.Message, StringComparison.Ordinal);
        Assert.False(await Has(reopened, "key1"));
        await Set(reopened, "key1");
        await reopened.FlushAsync(CancellationToken.None).Within();
        Assert.True(await Has(reopened, "key1"));
    }

    [Fact]
    public async Task Open_DamagedFileWithFailPolicy_RefusesNamingTheFileAndLeavesIt()
    {
        await using (var cache = Open())
        {
            await Set(cache, "key");
            await cache.FlushAsync(CancellationToken.None).Within();
        }

        var path = _dir.File("cache.db");
        DamagedFiles.Damage(path, "not a LiteDB file");

        var refused = Assert.Throws<InvalidOperationException>(() => Open(CorruptionPolicy.Fail));

        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Contains("Pipeline:Storage:OnCorruption", refused.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }
}
