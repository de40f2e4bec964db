using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Events;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Storage;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Storage;

public sealed class JobStoreTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private JobStore Open(TimeProvider? time = null, TimeSpan? flushInterval = null, FaultyFiles? files = null, Microsoft.Extensions.Logging.ILogger<JobStore>? logger = null, System.Diagnostics.Metrics.IMeterFactory? meters = null) =>
        new(Options.Create(new StorageOptions { FlushInterval = flushInterval ?? TimeSpan.Zero }), Options.Create(new DataFolderOptions { Directory = _data.Path }), time ?? TimeProvider.System, new Pipeline.Host.Telemetry.HostMetrics(meters ?? TestMeters.Create()), logger ?? NullLogger<JobStore>.Instance, files is null ? null : files.Wrap);

    private static JobRecord Record(string id, bool ended = false, DateTimeOffset? endedAt = null) =>
        new() { Id = id, Client = "c", Prompt = "p", TrackCount = 3, Ended = ended, EndedAtTicks = endedAt?.UtcTicks ?? 0, AcceptedAtTicks = (endedAt ?? DateTimeOffset.UtcNow).UtcTicks };

    // Time moves on in steps until the write is seen: the store's owner may pick up an append just after a step.
    private static bool Advanced(FakeTimeProvider time, bool seen)
    {
        if (!seen)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        return seen;
    }

    private static async Task<List<JobLogEntry>> ReadToEndAsync(JobLog log, long after)
    {
        var entries = new List<JobLogEntry>();
        await foreach (var entry in log.ReadAsync(after, CancellationToken.None))
        {
            entries.Add(entry);
        }

        return entries;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Append_DiskFullOrIoErrorThenBack_NothingDroppedReadersWaitOneErrorLineAndRecovered(bool ioError)
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var files = new FaultyFiles();
        var logs = new Microsoft.Extensions.Logging.Testing.FakeLogger<JobStore>();
        var meters = TestMeters.Create();
        using var failures = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, "Pipeline", "pipeline.store.write_failures");
        using var healthy = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<int>(meters, "Pipeline", "pipeline.storage.healthy");
        var store = Open(time, files: files, logger: logs, meters: meters);
        long Failures() => failures.GetMeasurementSnapshot().Sum(m => m.Value);
        store.Save(Record("job0"));
        await store.FlushAsync().Within();
        if (ioError)
        {
            files.Break();
        }
        else
        {
            files.Fill();
        }

        var log = new JobLog(time, JobEventTypes.All, store: store);
        log.Publish(new JobAccepted("job0", CoreHarness.Epoch, "p", 3));
        for (var i = 0; i < 40; i++)
        {
            log.Publish(new LlmDelta("job0", CoreHarness.Epoch, $"{i} "));
        }

        var flushed = store.FlushAsync();
        Assert.True(SpinWait.SpinUntil(() => store.Fault is not null, TimeSpan.FromSeconds(10)));
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // Every retry fails while the disk is full: one Error line, not one per attempt.
            var before = Failures();
            Assert.True(SpinWait.SpinUntil(() => Advanced(time, Failures() > before), TimeSpan.FromSeconds(10)));
        }

        healthy.RecordObservableInstruments();
        Assert.Equal(0, healthy.LastMeasurement!.Value);

        Assert.Contains(ioError ? "Input/output error" : "No space left on device", store.Fault, StringComparison.Ordinal);
        Assert.Equal(0, log.LastSequence); // nothing reaches a reader before it is written
        Assert.False(flushed.IsCompleted);

        files.Recover();
        Assert.True(SpinWait.SpinUntil(() => Advanced(time, flushed.IsCompleted), TimeSpan.FromSeconds(10)));
        await flushed.Within();

        Assert.Null(store.Fault);
        healthy.RecordObservableInstruments();
        Assert.Equal(1, healthy.LastMeasurement!.Value);
        Assert.Equal(41, log.LastSequence);
        Assert.Equal(1, logs.Collector.GetSnapshot().Count(r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error));
        Assert.Single(logs.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning && r.Message.Contains("writes again", StringComparison.Ordinal));
        await store.DisposeAsync();
        await using var reopened = Open();
        Assert.True(failures.GetMeasurementSnapshot().Where(m => m.Value > 0).All(m => Equals(m.Tags["reason"], ioError ? "io_error" : "no_space")));
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i), (await reopened.FindAsync("job0").Within())!.Events.Select(e => e.Seq));
    }

    [Fact]
    public async Task Reopened_EveryEventInOrderAndOnlyUnfinishedJobsToResume()
    {
        var running = new JobLog[2];
        await using (var store = Open())
        {
            for (var j = 0; j < 2; j++)
            {
                store.Save(Record($"job{j}"));
                running[j] = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);
                running[j].Publish(new JobAccepted($"job{j}", CoreHarness.Epoch, "p", 3));
                for (var i = 0; i < 250; i++)
                {
                    running[j].Publish(new LlmDelta($"job{j}", CoreHarness.Epoch, $"{j}:{i} "));
                }
            }

            running[1].Publish(new JobEnded("job1", CoreHarness.Epoch, JobOutcome.Completed, null));
            store.Save(Record("job1", ended: true, endedAt: DateTimeOffset.UtcNow));
        }

        Assert.True(File.Exists(_data.File("jobs.db")));
        Assert.False(File.Exists(_data.File("jobs-log.db"))); // checkpointed into jobs.db at the close, as LiteDB does
        await using var reopened = Open();
        var unfinished = await reopened.LoadUnfinishedAsync().Within();
        var ended = await reopened.FindAsync("job1").Within();

        Assert.Equal("job0", Assert.Single(unfinished).Record.Id);
        Assert.Equal(Enumerable.Range(1, 251).Select(i => (long)i), unfinished[0].Events.Select(e => e.Seq));
        Assert.Equal(await ReadToEndAsync(running[1], 0).Within(), ended!.Events);
        Assert.Equal("job.completed", ended.Events[^1].Type);
        Assert.Null(await reopened.FindAsync("nope").Within());
    }

    [Fact]
    public async Task AppendsInOneBatch_OneDocumentPerJobPerBatch()
    {
        await using (var store = Open(flushInterval: TimeSpan.FromSeconds(10)))
        {
            var log = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);
            for (var i = 0; i < 250; i++)
            {
                log.Publish(new LlmDelta("job", CoreHarness.Epoch, $"{i} "));
            }
        }

        // Batches of WriteBatch (100) or more, and the rest at close: three documents at most, not one per event.
        using (var file = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(_data.Path, "jobs.db"), ReadOnly = true }))
        {
            var runs = file.GetCollection<StoredEventRun>("event_runs").FindAll().ToList();
            Assert.InRange(runs.Count, 1, 3);
            Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), runs.SelectMany(r => r.Events).Select(e => e.Seq));
        }
    }

    [Fact]
    public async Task Readers_SeeAnEntryOnlyOnceItIsCommitted_WritesWaitForTheFlushInterval()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        await using var store = Open(time, flushInterval: TimeSpan.FromMilliseconds(250));
        var log = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);

        for (var i = 0; i < 10; i++)
        {
            log.Publish(new LlmDelta("j", CoreHarness.Epoch, "x"));
        }

        await Signals.SettleAsync();
        Assert.Equal(0, log.LastSequence); // ten deltas, no write yet: they go as one
        await Signals.UntilAsync(() => Advanced(time, log.LastSequence == 10)).Within();

        log.Publish(new JobEnded("j", CoreHarness.Epoch, JobOutcome.Completed, null));
        await Signals.SettleAsync();
        Assert.Equal(10, log.LastSequence); // the terminal event waits for the batch too
        await Signals.UntilAsync(() => Advanced(time, log.LastSequence == 11)).Within();
    }

    [Fact]
    public async Task ConcurrentAppendAndReplay_EveryReaderGetsAGapFreeSequenceAndTheFileHoldsItAll()
    {
        const int Jobs = 6;
        const int Events = 1500;
        var logs = new JobLog[Jobs];
        var expected = new List<JobLogEntry>[Jobs];
        await using (var store = Open(flushInterval: TimeSpan.FromMilliseconds(5)))
        {
            for (var j = 0; j < Jobs; j++)
            {
                store.Save(Record($"job{j}"));
                logs[j] = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);
            }

            var writers = Enumerable.Range(0, Jobs).Select(j => Task.Run(() =>
            {
                for (var i = 1; i < Events; i++)
                {
                    logs[j].Publish(i % 50 == 0
                        ? new StageProgress($"job{j}", CoreHarness.Epoch, new Dictionary<string, StageCounts>())
                        : new LlmDelta($"job{j}", CoreHarness.Epoch, $"{i} "));
                }

                logs[j].Publish(new JobEnded($"job{j}", CoreHarness.Epoch, JobOutcome.Completed, null));
            }));
            // Readers join at random points and replay from random ids while the writers run.
            var random = new Random(7);
            var readers = Enumerable.Range(0, 24).Select(r => (Job: r % Jobs, After: (long)random.Next(0, Events / 2))).Select(reader => Task.Run(async () =>
            {
                var read = await ReadToEndAsync(logs[reader.Job], reader.After);
                Assert.Equal(Enumerable.Range((int)reader.After + 1, Events - (int)reader.After).Select(i => (long)i), read.Select(e => e.Seq));
            }));
            // And the store answers reads beside the writes: every answer a gap-free prefix.
            var lookups = Enumerable.Range(0, 40).Select(k => Task.Run(async () =>
            {
                var found = await store.FindAsync($"job{k % Jobs}");
                Assert.Equal(Enumerable.Range(1, found!.Events.Count).Select(i => (long)i), found.Events.Select(e => e.Seq));
            }));

            await Task.WhenAll([.. writers, .. readers, .. lookups]).Within();
            for (var j = 0; j < Jobs; j++)
            {
                expected[j] = await ReadToEndAsync(logs[j], 0);
            }
        }

        await using var reopened = Open();
        for (var j = 0; j < Jobs; j++)
        {
            Assert.Equal(expected[j], (await reopened.FindAsync($"job{j}").Within())!.Events);
        }
    }

    [Fact]
    public async Task Retention_EndedJobsGoWithTheirEventsOnceOlderThanIt()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        await using var store = Open(time);
        store.Save(Record("old", ended: true, endedAt: CoreHarness.Epoch));
        var log = new JobLog(TimeProvider.System, JobEventTypes.All, store: store);
        log.Publish(new JobEnded("old", CoreHarness.Epoch, JobOutcome.Completed, null));
        await store.FlushAsync().Within();

        time.Advance(TimeSpan.FromHours(23));
        store.Save(Record("recent", ended: true, endedAt: time.GetUtcNow()));
        await store.FlushAsync().Within();
        Assert.NotNull(await store.FindAsync("old").Within()); // 23 h: kept

        time.Advance(TimeSpan.FromHours(2));
        await store.FlushAsync().Within();

        Assert.Null(await store.FindAsync("old").Within());
        Assert.NotNull(await store.FindAsync("recent").Within());
    }
}
