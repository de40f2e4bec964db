using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Streaming;

/// <summary>
/// One job's event log and live view: every event gets the next sequence number (from 1, no gaps) and is
/// serialized once as <c>{"type","jobId","seq","at",…}</c>. Readers replay after a sequence number and then follow
/// live appends with no gap and no duplicate. Nothing is appended after the terminal event, or after the log is
/// sealed for a restart. With a <paramref name="store"/>, each entry is handed to it in order and readers see it once it
/// is committed, so no client ever holds an id a crash could take back. Waiting readers are woken in waves spaced on
/// <paramref name="time"/> (<see cref="StreamWaves"/>).
/// </summary>
internal sealed class JobLog(TimeProvider time, IJobLogStore? store = null, int? deadLetterLimit = null) : IPipelineEventSink
{
    private const int KeptBatchCapacity = 256;

    private readonly Lock _lock = new();
    private readonly List<JobLogEntry> _entries = [];
    private readonly Dictionary<string, Track> _tracks = new(StringComparer.Ordinal);
    private readonly StringBuilder _llmText = new();
    private readonly DeadLetterList _deadLetters = new(deadLetterLimit ?? new JobOptions().DeadLetterLimit); // built as the job's own, so the same after a restart
    private Pipeline.Stages.Sequencing.SetResult? _set;
    private readonly HashSet<JobLogWaiter> _waiting = [];
    private readonly WaveDispatcher<JobLogWaiter> _wakeups = new(static w => w.WakeHere(), queueNext: WaveDispatcher<JobLogWaiter>.Spaced(time, StreamWaves.Spacing));
    private IReadOnlyDictionary<string, StageCounts> _stages = new Dictionary<string, StageCounts>();
    private ResumeFilter? _resume;
    private bool _sealed;
    private bool _unkept;
    private int _committed;

    public JobEnded? Ended { get; private set; }

    /// <summary>Called once when a resumed job's new text departs from what it had already streamed.</summary>
    public Action? Diverged { get; set; }

    /// <summary>
    /// A log read back from the store. With <paramref name="resume"/> the job runs again: its re-run's events are
    /// appended after the stored ones, less what it already said (<see cref="ResumeFilter"/>).
    /// </summary>
    public static JobLog Restore(IReadOnlyList<JobLogEntry> entries, bool resume, TimeProvider time, IJobLogStore? store = null, int? deadLetterLimit = null)
    {
        var log = new JobLog(time, store, deadLetterLimit) { _committed = entries.Count };
        var events = new List<PipelineEvent>(entries.Count);
        foreach (var entry in entries)
        {
            log._entries.Add(entry);
            if (LoggedEvents.Read(entry) is { } e)
            {
                events.Add(e);
                log.Observe(e);
            }
        }

        log._resume = resume ? new ResumeFilter(events) : null;
        return log;
    }

    /// <summary>
    /// Closes the log without a terminal event, for a job that will resume at the next start: readers get what is
    /// logged and end, to reconnect with their last id.
    /// </summary>
    public void Seal()
    {
        lock (_lock)
        {
            _sealed = true;
            WakeReaders();
        }
    }

    /// <summary>The id of the latest event readers can see.</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return Visible;
            }
        }
    }

    private int Visible => store is null ? _entries.Count : _committed;

    /// <summary>Makes the event written just before the terminal one, e.g. the final stage counts.</summary>
    public Func<PipelineEvent?>? BeforeTerminal { get; set; }

    /// <summary>
    /// Called once when more than <see cref="UnkeptBound"/> events wait for a store that cannot write: the job is
    /// ended rather than holding ever more in memory.
    /// </summary>
    public Action? Unkept { get; set; }

    /// <summary>How many events may wait for a failing store before <see cref="Unkept"/> is called.</summary>
    public int UnkeptBound { get; set; } = int.MaxValue;

    public void Publish(PipelineEvent pipelineEvent)
    {
        if (pipelineEvent is JobEnded && BeforeTerminal?.Invoke() is { } last)
        {
            Publish(last);
        }

        if (!TryAppend(pipelineEvent, out var diverged, out var unkept) && diverged)
        {
            Diverged?.Invoke();
        }

        if (unkept)
        {
            Unkept?.Invoke();
        }
    }

    private bool TryAppend(PipelineEvent pipelineEvent, out bool diverged, out bool unkept)
    {
        diverged = false;
        unkept = false;
        lock (_lock)
        {
            if (Ended is not null || _sealed)
            {
                return false; // the terminal event is always last
            }

            if (_resume is not null && pipelineEvent is not JobEnded)
            {
                if (_resume.Filter(pipelineEvent, out diverged) is not { } kept)
                {
                    return false;
                }

                pipelineEvent = kept;
            }

            var seq = _entries.Count + 1;
            var node = (JsonObject)JsonSerializer.SerializeToNode(pipelineEvent, pipelineEvent.GetType(), LoggedEvents.Json)!;
            var json = new JsonObject { ["type"] = pipelineEvent.Type, ["jobId"] = pipelineEvent.JobId, ["seq"] = seq, ["at"] = pipelineEvent.At };
            foreach (var (key, value) in node.ToList())
            {
                if (!json.ContainsKey(key))
                {
                    node.Remove(key);
                    json[key] = value;
                }
            }

            var entry = new JobLogEntry(seq, pipelineEvent.Type, json.ToJsonString(LoggedEvents.Json));
            _entries.Add(entry);
            Observe(pipelineEvent);
            if (store is not null)
            {
                store.Append(pipelineEvent.JobId, entry, this);
                if (!_unkept && _entries.Count - _committed > UnkeptBound && store.Fault is not null)
                {
                    unkept = _unkept = true; // a slow write is waited for; only one the store cannot make ends the job
                }

                return true; // readers wake when it is committed
            }

            WakeReaders();
        }

        return true;
    }

    /// <summary>The store has committed every entry up to <paramref name="seq"/>: readers may have them.</summary>
    public void Committed(long seq)
    {
        lock (_lock)
        {
            if (seq > _committed)
            {
                _committed = (int)seq;
                WakeReaders();
            }
        }
    }

    /// <summary>
    /// Wakes every waiting reader a wave at a time on the thread pool, so Kestrel sends one wave's
    /// writes before the next is written (<see cref="WaveDispatcher{T}"/>); the caller holds the lock.
    /// </summary>
    private void WakeReaders() => _wakeups.Take(_waiting);

    /// <summary>
    /// Entries after <paramref name="after"/>, then live ones, until the terminal entry. A reader more than
    /// <paramref name="lagBound"/> behind gets each batch coalesced (<see cref="LagCoalescer"/>); one more than
    /// <paramref name="maxLag"/> behind is ended early, to resume from its last id. Readers share the log's entries:
    /// each holds only its place, one batch list and one waiter, whatever the number of events.
    /// </summary>
    public async IAsyncEnumerable<JobLogEntry> ReadAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken, int lagBound = int.MaxValue, int maxLag = int.MaxValue)
    {
        var next = (int)Math.Max(0, after);
        var replayed = false;
        var batch = new List<JobLogEntry>();
        using var waiter = new JobLogWaiter(cancellationToken);
        try
        {
            while (true)
            {
                bool ended;
                lock (_lock)
                {
                    batch.Clear();
                    if (next < Visible)
                    {
                        batch.AddRange(CollectionsMarshal.AsSpan(_entries)[next..Visible]);
                    }

                    ended = (Ended is not null || _sealed) && Visible == _entries.Count;
                    if (batch.Count == 0 && !ended)
                    {
                        waiter.Arm();
                        _waiting.Add(waiter);
                    }
                }

                if (batch.Count == 0)
                {
                    if (ended)
                    {
                        yield break;
                    }

                    replayed = true;
                    await waiter.WaitAsync();
                    continue;
                }

                // Only a reader that has had its replay can fall behind; cutting a replay would loop a resuming client.
                if (replayed && batch.Count > maxLag)
                {
                    yield break; // too far behind: the client resumes with Last-Event-ID and loses nothing
                }

                // A replay goes out whole (no gap in the ids a resuming client sees); only a live reader that falls behind
                // gets its batch coalesced.
                var items = replayed && batch.Count > lagBound ? LagCoalescer.Coalesce(batch) : batch;
                for (var i = 0; i < items.Count; i++)
                {
                    yield return items[i];
                }

                replayed = true;
                next += batch.Count;
                if (batch.Capacity > KeptBatchCapacity)
                {
                    batch = []; // a replay's long batch is not held for the rest of a live stream
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _waiting.Remove(waiter); // a reader that leaves mid-wait
            }
        }
    }

    /// <summary>What the log says so far: tracks in candidate order, the model's text, the latest stage counts and the items shed or failed.</summary>
    public JobLogView View()
    {
        lock (_lock)
        {
            return new JobLogView([.. _tracks.Values.OrderBy(t => t.Index)], _llmText.ToString(), _stages, _deadLetters.Snapshot(), _set);
        }
    }

    private void Observe(PipelineEvent e)
    {
        switch (e)
        {
            case TrackFound f:
                _tracks.TryAdd(f.Track.Id, f.Track);
                break;
            case TrackEnriched t:
                _tracks[t.Track.Id] = t.Track;
                break;
            case StageProgress p:
                _stages = p.Stages;
                break;
            case ItemShed or ItemFailed:
                _deadLetters.Publish(e);
                break;
            case SetCompleted completed:
                _set = completed.Set;
                break;
            case LlmDelta d:
                _llmText.Append(d.Text);
                break;
            case JobEnded ended:
                Ended = ended;
                break;
        }
    }
}

/// <summary>A job as its log tells it; <paramref name="Set"/> once <c>set.completed</c> is logged.</summary>
internal sealed record JobLogView(IReadOnlyList<Track> Tracks, string LlmText, IReadOnlyDictionary<string, StageCounts> Stages, IReadOnlyList<DeadLetter> DeadLetters, Pipeline.Stages.Sequencing.SetResult? Set);
