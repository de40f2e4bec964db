using System.Threading.Channels;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Options;
using Pipeline.Host.Streaming;
using Pipeline.Host.Telemetry;

namespace Pipeline.Host.Storage;

/// <summary>
/// Jobs and their event logs in one LiteDB file. LiteDB 5.0.20 is not safe with a reader beside a writer on one
/// instance (LiteDB issue #2817) and manages ≈455 autocommitted inserts/s, so one owner task does every database call
/// in order: appends, a job's terminal event among them, wait up to <see cref="StorageOptions.FlushInterval"/> and are
/// written in batched transactions (a job's <c>llm.delta</c> stream costs a few writes a second, and jobs ending in the
/// same interval share one commit), each job's appends in a batch as one document (<see cref="StoredEventRun"/>), while a
/// read or a flush writes at once. The log file is a <see cref="GroupSyncStream"/>: at most one <c>fsync</c> per
/// <see cref="StorageOptions.SyncInterval"/>. A read sees every
/// append queued before it; a log's readers see an entry once it is committed.
/// </summary>
internal sealed partial class JobStore : IJobLogStore, IAsyncDisposable
{
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly GroupSyncStream _log;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<JobRecord> _jobs;
    private readonly ILiteCollection<StoredEventRun> _events;
    private readonly ILogger<JobStore> _logger;
    private readonly Task _owner;

    private readonly HostMetrics _metrics;

    public JobStore(IOptions<StorageOptions> options, TimeProvider time, HostMetrics metrics, ILogger<JobStore> logger)
    {
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(Path.GetDirectoryName(_options.JobsPath)!);
        _log = new GroupSyncStream(_options.JobsLogPath, _options.SyncInterval, time, metrics.Synced);
        try
        {
            _database = new LiteDatabase(new LiteEngine(new EngineSettings { Filename = _options.JobsPath, LogStream = _log }));
        }
        catch
        {
            _log.Dispose();
            throw;
        }

        _jobs = _database.GetCollection<JobRecord>("jobs");
        _events = _database.GetCollection<StoredEventRun>("event_runs");
        _jobs.EnsureIndex(j => j.Ended);
        _owner = Task.Run(OwnAsync);
    }

    /// <summary>Queues the job's record to be written (inserted or replaced).</summary>
    public void Save(JobRecord record) => Enqueue(new Operation(OperationKind.Save, record.Id, Record: record));

    /// <summary>Queues one event of a job's log, to be written with the next batch.</summary>
    public void Append(string jobId, JobLogEntry entry, JobLog log) =>
        Enqueue(new Operation(OperationKind.Append, jobId, Entry: entry, Log: log));

    /// <summary>A job with its whole log, or null.</summary>
    public async Task<StoredJob?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        (await RequestAsync(new Operation(OperationKind.Find, id), cancellationToken)).SingleOrDefault();

    /// <summary>Every job that has not ended (it was running when the host stopped or crashed), with its log.</summary>
    public Task<IReadOnlyList<StoredJob>> LoadUnfinishedAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(new Operation(OperationKind.Unfinished, ""), cancellationToken);

    /// <summary>Waits until every write queued so far is in the file.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        RequestAsync(new Operation(OperationKind.Flush, ""), cancellationToken);

    /// <summary>Writes what is queued and closes the file (its log, emptied at the close, is deleted, as LiteDB does).</summary>
    public async ValueTask DisposeAsync()
    {
        _operations.Writer.TryComplete();
        await _owner;
        _database.Dispose();
        var empty = _log.Length == 0;
        await _log.DisposeAsync();
        if (empty)
        {
            File.Delete(_options.JobsLogPath);
        }
    }

    private void Enqueue(Operation operation)
    {
        if (!_operations.Writer.TryWrite(operation))
        {
            throw new InvalidOperationException("The job store is closed.");
        }
    }

    private async Task<IReadOnlyList<StoredJob>> RequestAsync(Operation operation, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<IReadOnlyList<StoredJob>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(operation with { Done = done });
        return await done.Task.WaitAsync(cancellationToken);
    }

    // The one place the database is touched.
    private async Task OwnAsync()
    {
        var reader = _operations.Reader;
        var pending = new List<Operation>();
        DateTimeOffset? due = null;
        var purgeDue = _time.GetUtcNow();
        var open = true;
        while (open || pending.Count > 0)
        {
            var now = false;
            while (reader.TryRead(out var operation))
            {
                pending.Add(operation);
                due ??= _time.GetUtcNow() + _options.FlushInterval;
                now |= operation.Kind is not OperationKind.Append and not OperationKind.Save;
            }

            if (pending.Count > 0 && (now || !open || pending.Count >= _options.WriteBatch || _time.GetUtcNow() >= due))
            {
                Execute(pending);
                pending.Clear();
                due = null;
                if (_time.GetUtcNow() >= purgeDue)
                {
                    Purge();
                    purgeDue = _time.GetUtcNow().AddMinutes(10);
                }

                continue;
            }

            if (!open)
            {
                continue;
            }

            var more = reader.WaitToReadAsync().AsTask();
            if (due is { } flushAt)
            {
                using var cancel = new CancellationTokenSource();
                var delay = flushAt - _time.GetUtcNow();
                await Task.WhenAny(more, Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, _time, cancel.Token));
                await cancel.CancelAsync();
                open = !more.IsCompleted || more.Result;
            }
            else
            {
                open = await more;
            }
        }
    }

    private void Execute(List<Operation> operations)
    {
        try
        {
            Write(operations);
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            // The streams go on (readers are released below); what could not be written will not resume after a crash.
            LogWriteFailed(_logger, operations.Count, e);
        }

        foreach (var append in operations.Where(o => o.Log is not null).GroupBy(o => o.Log!))
        {
            append.Key.Committed(append.Max(o => o.Entry!.Seq));
        }

        foreach (var operation in operations.Where(o => o.Done is not null))
        {
            try
            {
                operation.Done!.TrySetResult(operation.Kind switch
                {
                    OperationKind.Find => _jobs.FindById(operation.JobId) is { } record ? [Load(record)] : [],
                    OperationKind.Unfinished => [.. _jobs.Find(j => !j.Ended).Select(Load)],
                    _ => [],
                });
            }
            catch (Exception e) when (e is LiteException or IOException)
            {
                operation.Done!.TrySetException(e);
            }
        }
    }

    private void Write(List<Operation> operations)
    {
        // A job's appends in one batch are consecutive in its log (it appends in order): one run each.
        var runs = new Dictionary<string, StoredEventRun>(StringComparer.Ordinal);
        var started = _time.GetTimestamp();
        _database.BeginTrans();
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

            _events.Insert(runs.Values);
            _database.Commit();
            _metrics.Stored(operations.Count(o => o.Entry is not null), _time.GetElapsedTime(started));
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    private StoredJob Load(JobRecord record) =>
        new(record, [.. _events.Find(StoredEventRun.OfJob(record.Id))
            .SelectMany(run => run.Events)
            .Select(e => new JobLogEntry(e.Seq, e.Type, e.Json))]);

    // Jobs past their retention (ended, or accepted so long ago that they cannot resume) go with their events.
    private void Purge()
    {
        var cutoff = (_time.GetUtcNow() - _options.Retention).UtcTicks;
        foreach (var record in _jobs.Find(j => (j.Ended && j.EndedAtTicks < cutoff) || j.AcceptedAtTicks < cutoff).ToList())
        {
            _events.DeleteMany(StoredEventRun.OfJob(record.Id));
            _jobs.Delete(record.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The job store could not write {Count} operations; those events will not survive a crash.")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);

    private enum OperationKind
    {
        Save,
        Append,
        Find,
        Unfinished,
        Flush,
    }

    private sealed record Operation(
        OperationKind Kind,
        string JobId,
        JobRecord? Record = null,
        JobLogEntry? Entry = null,
        JobLog? Log = null,
        TaskCompletionSource<IReadOnlyList<StoredJob>>? Done = null);
}
