using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Storage;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Storage;

/// <summary>A damaged job store file at start: moved aside with an Error naming it, or refused; never a silently empty store.</summary>
public sealed class StoreCorruptionTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new(CoreHarness.Epoch);
    private readonly FakeLogger<JobStore> _logs = new();

    public void Dispose() => _data.Dispose();

    private JobStore Open(CorruptionPolicy policy = CorruptionPolicy.Quarantine, string? directory = null) =>
        new(Options.Create(new StorageOptions { FlushInterval = TimeSpan.Zero }), Options.Create(new DataFolderOptions { Directory = directory ?? _data.Path, OnCorruption = policy }), _time, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()), _logs);

    private static async Task FillAsync(JobStore store, int jobs)
    {
        for (var j = 0; j < jobs; j++)
        {
            store.Save(new JobRecord { Id = $"job{j}", Client = "c", Prompt = "p", TrackCount = 3, AcceptedAtTicks = CoreHarness.Epoch.UtcTicks });
            var log = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);
            for (var i = 0; i < 200; i++)
            {
                log.Publish(new LlmDelta($"job{j}", CoreHarness.Epoch, new string('x', 200)));
            }

            log.Publish(new JobEnded($"job{j}", CoreHarness.Epoch, JobOutcome.Completed, null));
        }

        await store.FlushAsync().Within();
    }

    [Theory]
    [MemberData(nameof(DamagedFiles.Kinds), MemberType = typeof(DamagedFiles))]
    public async Task Open_DamagedFile_MovedAsideErrorNamesItFreshStoreWorks(string damage)
    {
        await using (var store = Open())
        {
            await FillAsync(store, 3);
        }

        var path = _data.File("jobs.db");
        DamagedFiles.Damage(path, damage);

        await using var reopened = Open();

        var aside = Assert.Single(Directory.GetFiles(_data.Path, "jobs.db.corrupt-*"));
        Assert.EndsWith(".corrupt-20260101T000000Z", aside, StringComparison.Ordinal);
        var error = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("jobs could be read", error.Message, StringComparison.Ordinal);
        Assert.Null(await reopened.FindAsync("job0").Within()); // a fresh store, said so above
        await FillAsync(reopened, 1);
        Assert.NotNull(await reopened.FindAsync("job0").Within());
    }

    [Fact]
    public async Task Open_DamagedLogAfterACrash_MovedAsideWithItsDataFile()
    {
        var crashed = Path.Combine(_data.Path, "crashed");
        Directory.CreateDirectory(crashed);
        await using (var store = Open())
        {
            await FillAsync(store, 3);
            // The files as a kill -9 leaves them: the data file and the log the store has not checkpointed yet.
            File.Copy(_data.File("jobs.db"), Path.Combine(crashed, "jobs.db"));
            File.Copy(_data.File("jobs-log.db"), Path.Combine(crashed, "jobs-log.db"));
        }

        var log = Path.Combine(crashed, "jobs-log.db");
        DamagedFiles.Damage(log, "random bytes in the middle");

        await using var reopened = Open(directory: crashed);

        Assert.Single(Directory.GetFiles(crashed, "jobs-log.db.corrupt-*"));
        Assert.Single(Directory.GetFiles(crashed, "jobs.db.corrupt-*"));
        Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Open_DamagedFileWithFailPolicy_RefusesNamingTheFileAndLeavesIt()
    {
        await using (var store = Open())
        {
            await FillAsync(store, 2);
        }

        var path = _data.File("jobs.db");
        DamagedFiles.Damage(path, "not a LiteDB file");

        var refused = Assert.Throws<InvalidOperationException>(() => Open(CorruptionPolicy.Fail));

        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Contains("Pipeline:Storage:OnCorruption", refused.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_data.Path, "*.corrupt-*"));
    }
}
