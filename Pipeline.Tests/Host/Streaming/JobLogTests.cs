using System.Text.Json;
using Pipeline.Events;
using Pipeline.Host.Jobs;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Streaming;

public sealed class JobLogTests
{
    private static readonly DateTimeOffset At = CoreHarness.Epoch;

    private static JobLog LogWith(int deltas, int progress)
    {
        var log = new JobLog(TimeProvider.System, JobEventTypes.All);
        log.Publish(new JobAccepted("j", At, "p", 3));
        for (var i = 0; i < progress; i++)
        {
            log.Publish(new StageProgress("j", At, new Dictionary<string, StageCounts> { ["search"] = new(i, i, 0, 0, 0, 0) }));
            for (var d = 0; d < deltas; d++)
            {
                log.Publish(new LlmDelta("j", At, $"{i}.{d} "));
            }
        }

        return log;
    }

    private static async Task<List<JobLogEntry>> ReadAll(JobLog log, long after = 0, int lagBound = int.MaxValue, int maxLag = int.MaxValue)
    {
        var entries = new List<JobLogEntry>();
        await foreach (var e in log.ReadAsync(after, CancellationToken.None, lagBound, maxLag))
        {
            entries.Add(e);
        }

        return entries;
    }

    [Fact]
    public async Task ReadAsync_AfterAnId_ReplaysTheRestThenFollowsLiveToTheTerminal()
    {
        var log = LogWith(deltas: 2, progress: 2);
        var reading = ReadAll(log, after: 3);

        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));
        log.Publish(new LlmDelta("j", At, "after the end")); // never logged

        var entries = await reading.Within();
        Assert.Equal([4L, 5, 6, 7, 8], entries.Select(e => e.Seq));
        Assert.Equal("job.completed", entries[^1].Type);
        Assert.Equal(8, log.LastSequence);
    }

    [Fact]
    public async Task ReadAsync_LiveReaderPastTheLagBound_ProgressLatestWinsDeltasMergedNothingElseLost()
    {
        var log = LogWith(deltas: 0, progress: 0);
        await using var reader = log.ReadAsync(0, CancellationToken.None, lagBound: 5).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync()); // the replay: job.accepted
        for (var i = 0; i < 4; i++) // meanwhile 16 more, while the reader is busy elsewhere
        {
            log.Publish(new StageProgress("j", At, new Dictionary<string, StageCounts> { ["search"] = new(i, i, 0, 0, 0, 0) }));
            for (var d = 0; d < 3; d++)
            {
                log.Publish(new LlmDelta("j", At, $"{i}.{d} "));
            }
        }

        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));
        var entries = new List<JobLogEntry> { reader.Current };
        while (await reader.MoveNextAsync().AsTask().Within())
        {
            entries.Add(reader.Current);
        }

        Assert.True(entries.Count < 18, $"{entries.Count} entries: the lagging batch was not coalesced");
        Assert.Equal(14, Assert.Single(entries, e => e.Type == "stage.progress").Seq); // the latest progress wins
        var text = string.Concat(entries.Where(e => e.Type == "llm.delta").Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("text").GetString()));
        Assert.Equal(string.Concat(Enumerable.Range(0, 4).SelectMany(i => Enumerable.Range(0, 3).Select(d => $"{i}.{d} "))), text); // nothing lost
        Assert.Equal(17, JsonDocument.Parse(entries[^2].Json).RootElement.GetProperty("seq").GetInt64()); // a merged delta carries its last id
        Assert.Equal("job.completed", entries[^1].Type);
    }

    [Fact]
    public async Task ReadAsync_ReplayPastTheLagBound_DeliveredWholeWithNoGap()
    {
        var log = LogWith(deltas: 3, progress: 4); // 1 + 4 × (1 + 3) = 17 entries
        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));

        var entries = await ReadAll(log, after: 2, lagBound: 5).Within();

        Assert.Equal(Enumerable.Range(3, 16).Select(i => (long)i), entries.Select(e => e.Seq)); // a resuming client sees every id
    }

    [Fact]
    public async Task ReadAsync_LiveReaderFallsPastTheMaxLag_EndedToResumeFromTheLog()
    {
        var log = LogWith(deltas: 0, progress: 0);
        await using var reader = log.ReadAsync(0, CancellationToken.None, maxLag: 10).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync()); // the replay, however long, is never cut

        for (var i = 0; i < 11; i++)
        {
            log.Publish(new LlmDelta("j", At, "x")); // the reader is busy elsewhere meanwhile
        }

        Assert.False(await reader.MoveNextAsync().AsTask().Within());
    }

    [Fact]
    public async Task ReadAsync_ReplayLongerThanTheMaxLag_StillDelivered()
    {
        var log = LogWith(deltas: 3, progress: 4);
        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));

        var entries = await ReadAll(log, maxLag: 10).Within();

        Assert.Equal(18, entries.Count);
    }

    [Fact]
    public async Task ReadAsync_ReaderCancelledWhileItWaits_EndsAtOnceAndTheOthersReadOn()
    {
        var log = LogWith(deltas: 0, progress: 0);
        using var leaving = new CancellationTokenSource();
        await using var gone = log.ReadAsync(1, leaving.Token).GetAsyncEnumerator(leaving.Token);
        var staying = ReadAll(log, after: 1);
        var waiting = gone.MoveNextAsync().AsTask();
        await Signals.SettleAsync();

        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        log.Publish(new LlmDelta("j", At, "x"));
        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));

        Assert.Equal([2L, 3], (await staying.Within()).Select(e => e.Seq));
    }

    [Fact]
    public async Task ReadAsync_ManyReadersFollowingAWriter_EachGetsEveryEntryOnceInOrder()
    {
        const int Events = 2000;
        var log = LogWith(deltas: 0, progress: 0);
        var readers = Enumerable.Range(0, 16).Select(r => Task.Run(() => ReadAll(log, after: r % 2))).ToList();
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < Events; i++)
            {
                log.Publish(new LlmDelta("j", At, "x"));
            }

            log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));
        });

        await writer.Within();
        for (var r = 0; r < readers.Count; r++)
        {
            var after = r % 2;
            Assert.Equal(Enumerable.Range(after + 1, Events + 2 - after).Select(i => (long)i), (await readers[r].Within()).Select(e => e.Seq));
        }
    }

    [Fact]
    public async Task Publish_ManyReadersWaiting_WokenAWaveAtATimeTheWavesSpacedOnTheClock()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(At);
        var log = new JobLog(time, JobEventTypes.All);
        log.Publish(new JobAccepted("j", At, "p", 3));
        var readers = Enumerable.Range(0, 150).Select(_ => log.ReadAsync(1, CancellationToken.None).GetAsyncEnumerator()).ToList();
        var next = readers.Select(r => r.MoveNextAsync().AsTask()).ToList();
        await Signals.SettleAsync();

        log.Publish(new LlmDelta("j", At, "x"));

        await Signals.UntilAsync(() => next.Count(t => t.IsCompleted) >= 64);
        Assert.Equal(64, next.Count(t => t.IsCompleted));
        var step = StreamWaves.Spacing / 4;
        var second = await time.StepUntilAsync(step, () => next.Count(t => t.IsCompleted) >= 128);
        Assert.Equal(128, next.Count(t => t.IsCompleted));
        var third = await time.StepUntilAsync(step, () => next.Count(t => t.IsCompleted) == 150);

        Assert.True(second >= StreamWaves.Spacing && second + third >= 2 * StreamWaves.Spacing, $"waves {second} and {third} apart"); // the clock stepped on while a wave was delivered counts toward the next // each wave's writes are sent before the next
        Assert.All(readers, r => Assert.Equal(2, r.Current.Seq));
        foreach (var reader in readers)
        {
            await reader.DisposeAsync();
        }
    }

    private static Track Song(string id, int index) => new(id, "t", ["a"], null, null, 1000, null, index);

    private static JobLog Interrupted()
    {
        var log = new JobLog(TimeProvider.System, JobEventTypes.All);
        log.Publish(new JobAccepted("j", At, "p", 2));
        log.Publish(new TrackFound("j", At, Song("a", 1)));
        log.Publish(new TrackEnriched("j", At, Song("a", 1) with { Bpm = 124 }));
        log.Publish(new LlmDelta("j", At, "Open with "));
        log.Publish(new LlmDelta("j", At, "a"));
        return log;
    }

    private static async Task<List<JobLogEntry>> LoggedSoFar(JobLog log)
    {
        var entries = new List<JobLogEntry>();
        await foreach (var e in log.ReadAsync(0, CancellationToken.None))
        {
            entries.Add(e);
            if (entries.Count == log.LastSequence)
            {
                break;
            }
        }

        return entries;
    }

    [Fact]
    public async Task Restore_StoredEntries_NewEventsFollowTheirIdsAndTheViewSeesBoth()
    {
        var stored = await LoggedSoFar(Interrupted()).Within();
        var view = new SetJobView(deadLetterLimit: 10);
        var restored = JobLog.Restore(stored, LoggedEvents.ReadAll(stored, JobEventTypes.All), TimeProvider.System, JobEventTypes.All, view);

        restored.Publish(new TrackFound("j", At, Song("b", 2)));
        restored.Publish(new LlmDelta("j", At, " opener."));
        restored.Publish(new JobEnded("j", At, JobOutcome.Completed, null));
        var entries = await ReadAll(restored, after: 5).Within();

        Assert.Equal([6L, 7, 8], entries.Select(e => e.Seq));
        Assert.Equal(["track.found", "llm.delta", "job.completed"], entries.Select(e => e.Type));
        Assert.Equal("Open with a opener.", view.Snapshot().LlmText);
        Assert.Equal(["a", "b"], view.Snapshot().Tracks.Select(t => t.Id));
        Assert.Equal(JobOutcome.Completed, restored.Ended?.Outcome);
    }

    [Fact]
    public async Task Restore_EndedLog_AppendsNothingMore()
    {
        var log = Interrupted();
        log.Publish(new JobEnded("j", At, JobOutcome.Completed, null));
        var stored = await LoggedSoFar(log).Within();

        var restored = JobLog.Restore(stored, LoggedEvents.ReadAll(stored, JobEventTypes.All), TimeProvider.System, JobEventTypes.All);
        restored.Publish(new LlmDelta("j", At, "late"));

        Assert.Equal(6, restored.LastSequence);
    }
}
