using System.Collections.Concurrent;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Options;
using Pipeline.Host.Streaming;
using Pipeline.Host.Telemetry;
using Pipeline.Stages.Storage;

namespace Pipeline.Host.Storage;

/// <summary>
/// Jobs and their event logs in one LiteDB file. Its <see cref="LiteDbOwner{T}"/> makes every database call in order.
/// Events are not queued: a log says it has some (<see cref="Pending"/>), and the owner takes them from it
/// when it writes; they wait up to <see cref="StorageOptions.FlushInterval"/> and are written in batched transactions (a job's <c>llm.delta</c> stream costs a few writes a second, and jobs ending in the
/// same interval share one commit), each job's appends in a batch as one document (<see cref="StoredEventRun"/>), while a
/// read or a flush writes at once. The log file is a <see cref="GroupSyncStream"/>: at most one <c>fsync</c> per
/// <see cref="StorageOptions.SyncInterval"/>. A read sees every append queued before it. A log's readers see an entry
/// once LiteDB's writer thread has handed its pages to the OS (the stream's drain after the commit), so no reader holds
/// an id a crash could take back. A write that fails (a full disk, an I/O error) is kept and retried every
/// <see cref="RetryInterval"/> on a reopened file, never dropped; meanwhile <see cref="Fault"/> says why.
/// </summary>
internal sealed partial class JobStore : IJobStore, IAsyncDisposable
{
    /// <summary>How long a failed write waits before it is tried again on a reopened file.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>The log's size past which its pages are copied into the data file before the next batch (LiteDB's own default, 1000 pages).</summary>
    private const long CheckpointBytes = 1000 * 8192;

    /// <summary>How long LiteDB's writer may take to write a commit out before the store writes it again on a reopened file.</summary>
    private static readonly TimeSpan WriterTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Attempts a stop makes to write what a failing store still holds before it gives up on it.</summary>
    private const int AttemptsAtStop = 3;

    /// <summary>
    /// The bound of the owner's queue of record writes, reads, flushes and its own signals. Events do not queue: the
    /// owner takes them from the logs (<see cref="Pending"/>). Admission bounds the jobs, so their two record writes,
    /// and the connection limits bound the reads and flushes in flight, far below it.
    /// </summary>
    private const int QueueLimit = 65_536;

    private readonly LiteDbOwner<Operation> _owner;
    private readonly List<Operation> _batch = []; // read from the queue, to be written (or answered) in the next batch
    private readonly ConcurrentDictionary<IStoredJobLog, byte> _pending = new(ReferenceEqualityComparer.Instance);
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<Stream, Stream>? _wrap;
    private readonly ILogger<JobStore> _logger;
    private readonly string _path;
    private readonly string _logPath; // LiteDB's name for it: jobs-log.db beside jobs.db
    private readonly CorruptionPolicy _onCorruption;
    private readonly HostMetrics _metrics;
    private readonly List<WrittenBatch> _written = []; // committed, waiting for LiteDB's writer to hand them to the OS
    private GroupSyncStream? _log;
    private Stream? _data;
    private LiteDatabase? _database;
    private ILiteCollection<JobRecord> _jobs = null!;
    private ILiteCollection<StoredEventRun> _events = null!;
    private volatile string? _fault;
    private volatile bool _closing;
    private bool _stale; // failed: to be closed and reopened before the next use
    private DateTimeOffset _purgeDue;
    private int _generation; // of the open file: a drain or fault of a file closed since is old news
    private int _untaken; // events appended to logs since the owner last took them (a hint for batching)
    private DateTimeOffset? _due; // when the batch is written at the latest
    private bool _urgent; // the batch holds a read or a flush: written at once
    private bool _stopping;
    private int _attemptsLeft = AttemptsAtStop;

    /// <summary>Opens (or creates) the store's file; <paramref name="wrapFile"/> wraps each file it opens (tests inject faults there).</summary>
    public JobStore(IOptions<StorageOptions> options, IOptions<DataFolderOptions> folder, TimeProvider time, HostMetrics metrics, ILogger<JobStore> logger, Func<Stream, Stream>? wrapFile = null)
    {
        _metrics = metrics;
        _options = options.Value;
        _onCorruption = folder.Value.OnCorruption;
        _path = folder.Value.PathOf(_options.JobsFile);
        _logPath = LiteDbFile.LogPathOf(_path);
        _time = time;
        _logger = logger;
        _wrap = wrapFile;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _owner = new LiteDbOwner<Operation>(QueueLimit, time);
        _purgeDue = time.GetUtcNow();
        OpenChecked();
        metrics.StorageHealth(() => _fault is null);
        _owner.Start(Accept, Step);
    }

    /// <summary>Why the store cannot write now (e.g. "No space left on device"), or null while it writes.</summary>
    public string? Fault => _fault;

    /// <inheritdoc/>
    public void Save(JobRecord record) => Enqueue(new Operation(OperationKind.Save, record.Id, Record: record));

    /// <summary>Notes that a job's log has events to write: the owner takes them for its next batch.</summary>
    public void Pending(IStoredJobLog log)
    {
        _pending.TryAdd(log, 0);
        var untaken = Interlocked.Increment(ref _untaken);
        if (untaken == 1 || untaken == _options.WriteBatch)
        {
            _owner.TryPost(new Operation(OperationKind.Wake, "")); // a full queue is being read: the events are taken anyway
        }
    }

    /// <inheritdoc/>
    public async Task<StoredJob?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        (await RequestAsync(new Operation(OperationKind.Find, id), cancellationToken)).SingleOrDefault();

    /// <inheritdoc/>
    public Task<IReadOnlyList<StoredJob>> LoadUnfinishedAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(new Operation(OperationKind.Unfinished, ""), cancellationToken);

    /// <summary>Waits until every write queued so far is with the OS.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(new Operation(OperationKind.Flush, ""), cancellationToken);

    /// <summary>Writes what is queued and closes the file (its log, emptied at the close, is deleted, as LiteDB does).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        _owner.TryPost(new Operation(OperationKind.Stop, ""));
        await _owner.Completion;
        await _owner.CompleteAsync();
        if (_stale)
        {
            Close();
        }

        if (_database is null)
        {
            return; // failed and given up on at the stop
        }

        try
        {
            _database.Checkpoint(); // the log into the data file, as LiteDB's own close would with its auto-checkpoint on
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            // The log stays beside the file; the next open reads it back.
        }

        _database.Dispose();
        _data?.Dispose();
        var empty = _log!.Length == 0;
        await _log.DisposeAsync();
        if (empty)
        {
            File.Delete(_logPath);
        }
    }

    private void Enqueue(Operation operation)
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        if (!_owner.TryPost(operation))
        {
            throw new InvalidOperationException($"The job store's queue holds {QueueLimit} operations: its owner is stuck.");
        }
    }

    private async Task<IReadOnlyList<StoredJob>> RequestAsync(Operation operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        var done = new TaskCompletionSource<IReadOnlyList<StoredJob>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _owner.PostAsync(operation with { Done = done }, cancellationToken);
        return await done.Task.WaitAsync(cancellationToken);
    }

    private void Open()
    {
        var generation = ++_generation;
        _log = new GroupSyncStream(
            _logPath, _options.SyncInterval, _time, _metrics.Synced,
            drained: drain => _owner.TryPost(new Operation(OperationKind.Drained, "", Drain: drain, Generation: generation)),
            faulted: e => _owner.TryPost(new Operation(OperationKind.Faulted, "", Error: e, Generation: generation)),
            wrap: _wrap);
        try
        {
            var settings = new EngineSettings { LogStream = _log };
            if (_wrap is null)
            {
                settings.Filename = _path;
            }
            else
            {
                _data = _wrap(new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess));
                settings.DataStream = _data;
            }

            _database = new LiteDatabase(new LiteEngine(settings)) { CheckpointSize = 0 }; // checkpoints only between batches, below
            _jobs = _database.GetCollection<JobRecord>("jobs");
            _events = _database.GetCollection<StoredEventRun>("event_runs");
            _jobs.EnsureIndex(j => j.Ended);
            _database.Checkpoint(); // waits for LiteDB's writer: no write of the opening is with it when a batch commits
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>Opens the file and reads every job and event back; a damaged one is moved aside or refused (<see cref="LiteDbFile.OpenChecked"/>).</summary>
    private void OpenChecked()
    {
        if (LiteDbFile.OpenChecked(_path, _onCorruption, _time.GetUtcNow(), "job store", "jobs", Open, ReadAll, Close) is { } damaged)
        {
            _metrics.StoreQuarantined();
            LogQuarantined(_logger, _path, damaged.Reason, damaged.Readable, damaged.MovedTo);
        }

        void ReadAll(Action counted)
        {
            foreach (var _ in _jobs.FindAll())
            {
                counted();
            }

            _ = _events.FindAll().Sum(run => run.Events.Count);
        }
    }

    /// <summary>Opens the file again after a failure (closing what is left of it first) or a give-up.</summary>
    private void Reopen()
    {
        if (_stale)
        {
            _stale = false;
            Close();
        }

        if (_database is null)
        {
            Open();
        }
    }

    /// <summary>Closes the file as far as it will close: after an I/O error, what could not be written stays queued.</summary>
    private void Close()
    {
        LiteDbFile.CloseQuietly(_database, _data, _log);
        (_database, _data) = (null, null);
    }

    // Every operation is read at once: the owner's own signals act here, the rest wait for the next batch.
    private bool Accept(Operation operation)
    {
        switch (operation.Kind)
        {
            case OperationKind.Drained:
                if (operation.Generation == _generation)
                {
                    Settle(operation.Drain);
                }

                return true;
            case OperationKind.Faulted:
                if (operation.Generation == _generation && !_stale && _database is not null)
                {
                    Failed(operation.Error!, _batch); // LiteDB's writer failed: its unsettled commits go again
                    _due = _time.GetUtcNow() + RetryInterval;
                }

                return true;
            case OperationKind.Stop:
                _stopping = true;
                return true;
            case OperationKind.Wake:
                _due ??= _time.GetUtcNow() + _options.FlushInterval;
                return true;
        }

        _batch.Add(operation);
        _due ??= _time.GetUtcNow() + _options.FlushInterval;
        _urgent |= operation.Kind is not OperationKind.Append and not OperationKind.Save;
        return true;
    }

    // The one place the database is touched.
    private LiteDbStep Step(bool queueClosed)
    {
        var events = !_pending.IsEmpty;
        if (_stopping && _batch.Count == 0 && _written.Count == 0 && !events)
        {
            return LiteDbStep.Finished;
        }

        var now = _time.GetUtcNow();
        if (events)
        {
            _due ??= now + _options.FlushInterval;
        }

        // One batch with LiteDB's writer at a time: a drain that begins after a commit then covers that commit.
        var ready = _fault is not null ? now >= _due : _urgent || _stopping || _batch.Count + Volatile.Read(ref _untaken) >= _options.WriteBatch || now >= _due;
        if ((_batch.Count > 0 || events) && _written.Count == 0 && ready)
        {
            Take(_batch); // after the record writes read above: a job's ending record goes with its terminal event
            if (Execute(_batch))
            {
                _batch.Clear();
                (_due, _urgent) = (null, false);
            }
            else if (_stopping && --_attemptsLeft <= 0)
            {
                GiveUp(_batch);
                _batch.Clear();
            }
            else
            {
                _due = _time.GetUtcNow() + RetryInterval;
            }

            return LiteDbStep.Now;
        }

        if (_stopping && _written.Count > 0)
        {
            Checkpoint(_batch); // waits for LiteDB's writer: what it wrote drains and settles
            return LiteDbStep.Now;
        }

        if (_written.Count > 0)
        {
            var timeout = _written[0].At + WriterTimeout;
            if (now < timeout)
            {
                return LiteDbStep.Until(timeout); // the drain comes as an operation
            }

            // LiteDB's writer neither wrote the last commit out nor failed on it: write it again on a reopened file.
            Failed(new IOException("The job store's writer did not write out a commit in time."), _batch);
            _due = now + RetryInterval;
            return LiteDbStep.Now;
        }

        return _due is { } due ? LiteDbStep.Until(due) : LiteDbStep.Idle;
    }

    /// <summary>Takes every event the logs have appended since the last batch into <paramref name="pending"/>, each log's in order.</summary>
    private void Take(List<Operation> pending)
    {
        Interlocked.Exchange(ref _untaken, 0);
        var entries = new List<JobLogEntry>();
        foreach (var log in _pending.Keys)
        {
            _pending.TryRemove(log, out _); // before the take: an event appended after it marks the log again
            entries.Clear();
            log.TakeUnwritten(entries);
            foreach (var entry in entries)
            {
                pending.Add(new Operation(OperationKind.Append, log.JobId, Entry: entry, Log: log));
            }
        }
    }

    private void Checkpoint(List<Operation> pending)
    {
        try
        {
            _database!.Checkpoint();
            if (_written.Count > 0)
            {
                Settle(long.MaxValue); // the checkpoint waited for the writer: every commit is in the file
            }
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            Failed(e, pending);
        }
    }

    /// <summary>
    /// Writes the operations; true when they are committed (or need no write) and the reads answered. On a failure the
    /// writes stay for the next attempt on a reopened file, with any earlier commit LiteDB had not yet written out.
    /// </summary>
    private bool Execute(List<Operation> operations)
    {
        long drains;
        bool wrote;
        try
        {
            Reopen();
            if (_log!.Length >= CheckpointBytes)
            {
                _database!.Checkpoint(); // between batches, the writer idle: a failing checkpoint leaves no transaction half done
            }

            drains = _log.Drains; // read before the commit: the writer is idle (no batch outstanding)
            wrote = Write(operations);
        }
        catch (Exception e) when (e is LiteException or IOException or UnauthorizedAccessException)
        {
            Failed(e, operations);
            AnswerReads(operations);
            operations.RemoveAll(o => o.Kind is OperationKind.Find or OperationKind.Unfinished);
            return false;
        }

        // Reads are answered once the writer is idle again (at the drain): a read beside LiteDB's writer is not safe.
        _written.Add(new WrittenBatch(drains, [.. operations], _time.GetUtcNow()));
        if (!wrote)
        {
            Settle(long.MaxValue); // nothing for LiteDB's writer to write, and nothing before it still with the writer
        }

        return true;
    }

    /// <summary>Readers see, and flushes return, what LiteDB's writer has handed to the OS: the batches whose commit came before drain <paramref name="drain"/> began.</summary>
    private void Settle(long drain)
    {
        var settled = _written.TakeWhile(b => b.Drains < drain).ToList();
        _written.RemoveRange(0, settled.Count);
        if (settled.Count > 0 && _fault is { } was)
        {
            _fault = null; // written out again: the disk is back
            LogRecovered(_logger, was);
        }

        foreach (var append in settled.SelectMany(b => b.Operations).Where(o => o.Log is not null).GroupBy(o => o.Log!))
        {
            append.Key.Committed(append.Max(o => o.Entry!.Seq));
        }

        var operations = settled.SelectMany(b => b.Operations).ToList();
        AnswerReads(operations);
        foreach (var flush in operations.Where(o => o.Kind == OperationKind.Flush))
        {
            flush.Done!.TrySetResult([]);
        }
    }

    private void Failed(Exception e, List<Operation> pending)
    {
        _metrics.StoreWriteFailed(e is IOException { HResult: 28 or 112 } || e.Message.Contains("No space", StringComparison.OrdinalIgnoreCase) ? "no_space" : "io_error");
        if (_fault is null)
        {
            _fault = e.Message;
            LogFailing(_logger, _path, e.Message, RetryInterval.TotalSeconds);
        }

        // Commits LiteDB had not yet written out go again, first (a run or record written twice is replaced, not doubled).
        pending.InsertRange(0, _written.SelectMany(b => b.Operations));
        _written.Clear();
        _stale = true; // closed and reopened at the next attempt: LiteDB's writer may be closing it right now itself
    }

    private void AnswerReads(List<Operation> operations)
    {
        foreach (var operation in operations.Where(o => o.Kind is OperationKind.Find or OperationKind.Unfinished))
        {
            try
            {
                Reopen();
                operation.Done!.TrySetResult(operation.Kind == OperationKind.Find
                    ? _jobs.FindById(operation.JobId) is { } record ? [Load(record)] : []
                    : [.. _jobs.Find(j => !j.Ended).Select(Load)]);
            }
            catch (Exception e) when (e is LiteException or IOException or UnauthorizedAccessException)
            {
                operation.Done!.TrySetException(e);
            }
        }
    }

    private void GiveUp(List<Operation> operations)
    {
        LogGaveUp(_logger, operations.Count(o => o.Kind is OperationKind.Save or OperationKind.Append), _fault);
        foreach (var waiting in operations.Where(o => o.Done is not null))
        {
            waiting.Done!.TrySetException(new IOException($"The job store could not write: {_fault}"));
        }
    }

    /// <summary>Writes the batch (and the retention purge when due) in one transaction; true when it changed anything.</summary>
    private bool Write(List<Operation> operations)
    {
        // A job's appends in one batch are consecutive in its log (it appends in order): one run each.
        var runs = new Dictionary<string, StoredEventRun>(StringComparer.Ordinal);
        var started = _time.GetTimestamp();
        _database!.BeginTrans();
        try
        {
            foreach (var operation in operations)
            {
                switch (operation.Kind)
                {
                    case OperationKind.Save:
                        _jobs.Upsert(operation.Record!);
                        break;
                    case OperationKind.Append:
                        var entry = operation.Entry!;
                        if (!runs.TryGetValue(operation.JobId, out var run))
                        {
                            run = new StoredEventRun { Key = StoredEventRun.KeyOf(operation.JobId, entry.Seq) };
                            runs.Add(operation.JobId, run);
                        }

                        run.Events.Add(new StoredEvent { Seq = entry.Seq, Type = entry.Type, Json = entry.Json });
                        break;
                }
            }

            _events.Upsert(runs.Values); // a batch written again after a failure replaces what may have reached the file
            var due = _time.GetUtcNow() >= _purgeDue;
            var purge = due && Purge(); // in the batch's transaction: LiteDB's writer is only ever busy with one commit
            _database.Commit();
            _metrics.Stored(operations.Count(o => o.Entry is not null), _time.GetElapsedTime(started));
            if (due)
            {
                _purgeDue = _time.GetUtcNow() + LiteDbFile.PurgeInterval;
            }

            return purge || operations.Any(o => o.Kind is OperationKind.Save or OperationKind.Append);
        }
        catch
        {
            try
            {
                _database.Rollback();
            }
            catch (Exception e) when (e is LiteException or IOException)
            {
                // The file is closed and reopened for the next attempt.
            }

            throw;
        }
    }

    private StoredJob Load(JobRecord record) =>
        new(record, [.. _events.Find(StoredEventRun.OfJob(record.Id))
            .SelectMany(run => run.Events)
            .Select(e => new JobLogEntry(e.Seq, e.Type, e.Json))]);

    // Jobs past their retention (ended, or accepted so long ago that they cannot resume) go with their events.
    private bool Purge()
    {
        var cutoff = (_time.GetUtcNow() - _options.Retention).UtcTicks;
        var gone = _jobs.Find(j => (j.Ended && j.EndedAtTicks < cutoff) || j.AcceptedAtTicks < cutoff).ToList();
        foreach (var record in gone)
        {
            _events.DeleteMany(StoredEventRun.OfJob(record.Id));
            _jobs.Delete(record.Id);
        }

        return gone.Count > 0;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The job store cannot write {Path}: {Reason}. New jobs are refused and events wait in memory; the write is retried every {Seconds} s.")]
    private static partial void LogFailing(ILogger logger, string path, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The job store {Path} is damaged ({Reason}); {Readable} jobs could be read from it. It is moved aside as {Quarantine} and the host starts with an empty store.")]
    private static partial void LogQuarantined(ILogger logger, string path, string reason, int readable, string quarantine);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The job store writes again (it had failed: {Reason}); what waited is written.")]
    private static partial void LogRecovered(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The job store stopped with {Count} writes it could not make ({Reason}): those events are lost.")]
    private static partial void LogGaveUp(ILogger logger, int count, string? reason);

    private enum OperationKind
    {
        Save,
        Append,
        Find,
        Unfinished,
        Flush,
        Drained,
        Faulted,
        Wake,
        Stop,
    }

    private sealed record Operation(
        OperationKind Kind,
        string JobId,
        JobRecord? Record = null,
        JobLogEntry? Entry = null,
        IStoredJobLog? Log = null,
        TaskCompletionSource<IReadOnlyList<StoredJob>>? Done = null,
        long Drain = 0,
        Exception? Error = null,
        int Generation = 0);

    /// <summary>A committed batch, the drain count read just before its commit, and when it was committed.</summary>
    private sealed record WrittenBatch(long Drains, List<Operation> Operations, DateTimeOffset At);
}
