using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Events;

namespace Pipeline.Host.Streaming;

/// <summary>
/// One job's event log: every event gets the next sequence number (from 1, no gaps) and is serialized once as
/// <c>{"type","jobId","seq","at",…}</c>. Readers replay after a sequence number and then follow live appends with no
/// gap and no duplicate. Nothing is appended after the terminal event, or after the log is sealed for a restart. Every
/// event logged (and every one restored) is shown, in the log's order, to the job's <paramref name="view"/>. With a
/// <paramref name="store"/>, the store takes the entries in order and readers see each once it is committed, so no client
/// ever holds an id a crash could take back; when more than <paramref name="unkeptBound"/> entries wait for a store that
/// cannot write, <paramref name="unkept"/> is called once (the job is ended rather than holding ever more in memory).
/// Waiting readers are woken in waves spaced on <paramref name="time"/> (<see cref="StreamWaves"/>); a reader that falls
/// behind gets its batches merged as <paramref name="types"/> says (<see cref="LagCoalescer"/>).
/// </summary>
internal sealed class JobLog(
    TimeProvider time,
    PipelineEventTypes types,
    IPipelineEventSink? view = null,
    IJobLogStore? store = null,
    int unkeptBound = int.MaxValue,
    Action? unkept = null) : IPipelineEventSink, IStoredJobLog
{
    private const int KeptBatchCapacity = 256;

    private readonly Lock _lock = new();
    private readonly List<JobLogEntry> _entries = [];
    private readonly HashSet<JobLogWaiter> _waiting = [];
    private readonly WaveDispatcher<JobLogWaiter> _wakeups = new(static w => w.WakeHere(), queueNext: WaveDispatcher<JobLogWaiter>.Spaced(time, StreamWaves.Spacing));
    private bool _sealed;
    private bool _unkept;
    private int _committed;
    private int _taken; // entries the store has taken to write
    private string _jobId = "";

    public JobEnded? Ended { get; private set; }

    string IStoredJobLog.JobId => _jobId;

    /// <summary>
    /// A log read back from the store: its <paramref name="entries"/> and the <paramref name="events"/> they hold
    /// (those this host can read), which the view is shown. A resumed job's re-run is appended after them.
    /// </summary>
    public static JobLog Restore(
        IReadOnlyList<JobLogEntry> entries,
        IEnumerable<PipelineEvent> events,
        TimeProvider time,
        PipelineEventTypes types,
        IPipelineEventSink? view = null,
        IJobLogStore? store = null,
        int unkeptBound = int.MaxValue,
        Action? unkept = null)
    {
        var log = new JobLog(time, types, view, store, unkeptBound, unkept) { _committed = entries.Count, _taken = entries.Count };
        log._entries.AddRange(entries);
        foreach (var e in events)
        {
            log.Observe(e);
        }

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

    public void Publish(PipelineEvent pipelineEvent)
    {
        if (Append(pipelineEvent))
        {
            unkept?.Invoke();
        }
    }

    /// <summary>Appends the event; true when the store has just been found unable to keep up.</summary>
    private bool Append(PipelineEvent pipelineEvent)
    {
        lock (_lock)
        {
            if (Ended is not null || _sealed)
            {
                return false; // the terminal event is always last
            }

            var entry = Entry(pipelineEvent, _entries.Count + 1);
            _entries.Add(entry);
            _jobId = pipelineEvent.JobId;
            Observe(pipelineEvent);
            if (store is not null)
            {
                store.Pending(this); // the store takes it, with any others not yet taken, for its next batch
                if (!_unkept && _entries.Count - _committed > unkeptBound && store.Fault is not null)
                {
                    return _unkept = true; // a slow write is waited for; only one the store cannot make ends the job
                }

                return false; // readers wake when it is committed
            }

            WakeReaders();
        }

        return false;
    }

    /// <summary>
    /// Appends entries another host logged (a log without a store, following the job's log in the cluster): those
    /// after its last, in order, each shown to the view; readers wake. Entries it holds already are skipped.
    /// </summary>
    public void Follow(IEnumerable<JobLogEntry> entries)
    {
        lock (_lock)
        {
            foreach (var entry in entries)
            {
                if (entry.Seq != _entries.Count + 1 || Ended is not null)
                {
                    continue;
                }

                _entries.Add(entry);
                if (LoggedEvents.Read(entry, types) is { } e)
                {
                    _jobId = e.JobId;
                    Observe(e);
                }
            }

            _committed = _taken = _entries.Count;
            WakeReaders();
        }
    }

    /// <summary>The entry <paramref name="pipelineEvent"/> makes at <paramref name="seq"/>: <c>{"type","jobId","seq","at",…}</c>.</summary>
    public static JobLogEntry Entry(PipelineEvent pipelineEvent, long seq)
    {
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

        return new JobLogEntry(seq, pipelineEvent.Type, json.ToJsonString(LoggedEvents.Json));
    }

    void IStoredJobLog.TakeUnwritten(List<JobLogEntry> into)
    {
        lock (_lock)
        {
            into.AddRange(CollectionsMarshal.AsSpan(_entries)[_taken..]);
            _taken = _entries.Count;
        }
    }

    void IStoredJobLog.Committed(long seq)
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
                var items = replayed && batch.Count > lagBound ? LagCoalescer.Coalesce(batch, types) : batch;
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

    private void Observe(PipelineEvent e)
    {
        if (e is JobEnded ended)
        {
            Ended = ended;
        }

        view?.Publish(e);
    }
}
