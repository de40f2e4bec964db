using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Host.Telemetry;
using Pipeline.Redis;
using Pipeline.Redis.Jobs;
using StackExchange.Redis;

namespace Pipeline.Host.Cluster;

/// <summary>
/// Jobs and their event logs in Redis, for a host in cluster mode (<see cref="RedisJobs"/>). One writer takes what the
/// logs of the jobs this host owns have appended (<see cref="Pending"/>) and writes each job's run in one script call
/// carrying the job's fence, all jobs' calls pipelined; a log's readers see an entry once Redis has it. A write Redis
/// refuses because another host took the job over ends it here (<see cref="Fenced"/>), with nothing more written. While
/// Redis does not answer, the entries wait in their logs and <see cref="Fault"/> says why; they are written when it
/// answers again.
/// </summary>
internal sealed partial class ClusterJobStore : IJobStore, IAsyncDisposable
{
    private readonly RedisJobs _jobs;
    private readonly RedisCluster _cluster;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly HostMetrics _metrics;
    private readonly ILogger<ClusterJobStore> _logger;
    private readonly ConcurrentDictionary<string, ClaimedJob> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IStoredJobLog, byte> _pending = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<string, JobRecord> _records = new(StringComparer.Ordinal);
    private readonly Dictionary<IStoredJobLog, Unwritten> _unwritten = new(ReferenceEqualityComparer.Instance); // the writer's alone
    private readonly ConcurrentDictionary<string, byte> _ended = new(StringComparer.Ordinal); // jobs whose terminal event Redis has
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _flushLock = new();
    private readonly List<(long Round, TaskCompletionSource Done)> _flushes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private long _started; // rounds the writer has begun
    private int _disposed;
    private volatile string? _fault;

    public ClusterJobStore(RedisJobs jobs, RedisCluster cluster, IOptions<StorageOptions> options, TimeProvider time, HostMetrics metrics, ILogger<ClusterJobStore> logger)
    {
        (_jobs, _cluster, _options, _time, _metrics, _logger) = (jobs, cluster, options.Value, time, metrics, logger);
        _cluster.Restored += () => _wake.Writer.TryWrite(true);
        metrics.StorageHealth(() => Fault is null);
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Raised with a job's id when Redis refused a write of it: another host holds its claim now.</summary>
    public event Action<string>? Fenced;

    /// <summary>Raised with a job's id and the entries Redis has just taken of it, in order.</summary>
    public event Action<string, IReadOnlyList<JobLogEntry>>? Committed;

    /// <summary>Why this host cannot keep jobs now (Redis does not answer, or refuses its writes), or null while it can.</summary>
    public string? Fault => _fault ?? (_cluster.IsConnected ? null : "Redis does not answer");

    /// <summary>The claims of the jobs this host runs, to be renewed; a job whose end is written needs its claim no more.</summary>
    public IReadOnlyList<ClaimedJob> Claims => [.. _claims.Values.Where(c => !_ended.ContainsKey(c.JobId))];

    /// <summary>The job's claim, while this host holds it.</summary>
    public bool TryGetClaim(string id, out ClaimedJob claim) => _claims.TryGetValue(id, out claim!);

    /// <summary>From now on this host writes the job under <paramref name="claim"/>'s fence.</summary>
    public void Own(ClaimedJob claim)
    {
        _ended.TryRemove(claim.JobId, out _);
        _claims[claim.JobId] = claim;
    }

    /// <summary>This host writes no more of the job (it lost its claim, or handed it back).</summary>
    public void Release(string id)
    {
        _claims.TryRemove(id, out _);
        _ended.TryRemove(id, out _);
        _records.TryRemove(id, out _);
    }

    /// <inheritdoc/>
    public void Save(JobRecord record)
    {
        if (_claims.ContainsKey(record.Id))
        {
            _records[record.Id] = record;
            _wake.Writer.TryWrite(true);
        }
    }

    /// <inheritdoc/>
    public void Pending(IStoredJobLog log)
    {
        if (_pending.TryAdd(log, 0))
        {
            _wake.Writer.TryWrite(true);
        }
    }

    /// <inheritdoc/>
    public async Task<StoredJob?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        StoredClusterJob? stored;
        try
        {
            stored = await _jobs.LoadAsync(id).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            throw new JobStoreUnavailableException($"The cluster's job store did not answer ({e.Message}); retry after the given delay.", e);
        }

        if (stored is null || JsonSerializer.Deserialize<JobRecord>(stored.Record, RecordJson) is not { } record)
        {
            return null;
        }

        var events = stored.Events.Select(e => new JobLogEntry(e.Seq, e.Type, e.Json)).ToList();
        record.Ended |= stored.Ended || (events.Count > 0 && JobEventTypes.All.IsTerminal(events[^1].Type));
        return new StoredJob(record, events);
    }

    /// <summary>None: in a cluster, the jobs a host left unfinished are claimed by whichever host has room once their claims go idle.</summary>
    public Task<IReadOnlyList<StoredJob>> LoadUnfinishedAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<StoredJob>>([]);

    /// <inheritdoc/>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushLock)
        {
            _flushes.Add((Interlocked.Read(ref _started) + 1, done)); // a round begun after this call writes all queued before it
        }

        _wake.Writer.TryWrite(true);
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>A record as this store writes it: the JSON form a host reads back.</summary>
    public static string Serialize(JobRecord record) => JsonSerializer.Serialize(record, RecordJson);

    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _wake.Writer.TryWrite(true);
        await FlushAsync().WaitAsync(TimeSpan.FromSeconds(5), _time).ContinueWith(_ => { }, TaskScheduler.Default); // what Redis will take before the stop
        await _stop.CancelAsync();
        await _writer.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task WriteAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.Reader.ReadAsync(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var round = Interlocked.Increment(ref _started);
            string? failed;
            try
            {
                failed = await WriteRoundAsync();
            }
            catch (Exception e)
            {
                LogRoundFailed(_logger, e); // a fault of this host's, not Redis's: the round is tried again, nothing dropped
                failed = e.Message;
            }

            if (failed is null)
            {
                if (_fault is { } was)
                {
                    _fault = null;
                    LogRecovered(_logger, was);
                }

                CompleteFlushes(round);
                continue;
            }

            _metrics.StoreWriteFailed("io_error");
            if (_fault is null)
            {
                _fault = failed;
                LogFailing(_logger, failed, JobStore.RetryInterval.TotalSeconds);
            }

            try
            {
                await Task.Delay(JobStore.RetryInterval, _time, token); // or sooner: Redis's return wakes the writer
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>Writes every job's waiting run, then the records saved since; null when all went through, else why not.</summary>
    private async Task<string?> WriteRoundAsync()
    {
        foreach (var log in _pending.Keys)
        {
            _pending.TryRemove(log, out _); // before the take: an event appended after it marks the log again
            if (!_unwritten.TryGetValue(log, out var run))
            {
                _unwritten[log] = run = new Unwritten(log); // by log: a job lost and claimed again here has a new one
            }

            log.TakeUnwritten(run.Entries);
        }

        var started = _time.GetTimestamp();
        var writes = _unwritten.Values.Where(r => r.Entries.Count > 0).Select(r => (Run: r, Write: AppendAsync(r))).ToList();
        string? failed = null;
        var events = 0;
        foreach (var (run, write) in writes)
        {
            try
            {
                var last = await write;
                if (last < 0)
                {
                    Refused(run.Log.JobId);
                }
                else
                {
                    events += run.Entries.Count;
                    if (run.Entries.Any(e => JobEventTypes.All.IsTerminal(e.Type)))
                    {
                        _ended[run.Log.JobId] = 0; // the claim is done with once its ending record follows
                    }

                    run.Log.Committed(last);
                    Committed?.Invoke(run.Log.JobId, [.. run.Entries]);
                }

                run.Entries.Clear();
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                failed ??= e.Message;
            }
            catch (RedisServerException e)
            {
                LogRefused(_logger, run.Log.JobId, e.Message); // not this host's to write: stopped here, another claims it
                run.Entries.Clear();
                Refused(run.Log.JobId);
            }
        }

        foreach (var done in _unwritten.Where(u => u.Value.Entries.Count == 0).Select(u => u.Key).ToList())
        {
            _unwritten.Remove(done);
        }

        if (writes.Count > 0)
        {
            _metrics.Stored(events, _time.GetElapsedTime(started));
        }

        // Records after their runs: a job's ending record waits for its terminal event, written in this round or a later one.
        var waiting = _unwritten.Keys.Select(l => l.JobId).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, record) in _records.ToArray()) // its own snapshot: LINQ's copy races a save (Count, then CopyTo) and throws
        {
            if (waiting.Contains(id) || (record.Ended && !_ended.ContainsKey(id)) || !_records.TryRemove(new KeyValuePair<string, JobRecord>(id, record)))
            {
                continue; // its events wait still, or a newer record replaced it: written next round
            }

            if (!_claims.TryGetValue(id, out var claim))
            {
                continue;
            }

            try
            {
                if (!await _jobs.SaveAsync(id, claim.Fence, Serialize(record)))
                {
                    Refused(id);
                }
                else if (record.Ended)
                {
                    Release(id); // its end is written: nothing more of it to write
                }
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                _records.TryAdd(id, record);
                failed ??= e.Message;
            }
        }

        return failed;
    }

    private Task<long> AppendAsync(Unwritten run)
    {
        var id = run.Log.JobId;
        if (!_claims.TryGetValue(id, out var claim))
        {
            return Task.FromResult(-1L); // no longer this host's: refused as Redis would
        }

        var terminal = run.Entries.LastOrDefault(e => JobEventTypes.All.IsTerminal(e.Type))?.Seq ?? 0;
        return _jobs.AppendAsync(id, claim.Fence, [.. run.Entries.Select(e => new StreamedEvent(e.Seq, e.Type, e.Json))], terminal, _options.Retention);
    }

    private void Refused(string id)
    {
        _records.TryRemove(id, out _);
        _ended.TryRemove(id, out _);
        if (_claims.TryRemove(id, out _))
        {
            LogFenced(_logger, id);
            Fenced?.Invoke(id);
        }
    }

    private void CompleteFlushes(long round)
    {
        lock (_flushLock)
        {
            foreach (var flush in _flushes.Where(f => f.Round <= round))
            {
                flush.Done.TrySetResult();
            }

            _flushes.RemoveAll(f => f.Round <= round);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The cluster's job store failed a round of writes; it is tried again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The cluster's job store cannot write to Redis: {Reason}. New jobs are refused and events wait in memory; the write is retried every {Seconds} s.")]
    private static partial void LogFailing(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cluster's job store writes to Redis again (it had failed: {Reason}); what waited is written.")]
    private static partial void LogRecovered(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: Redis refused its events ({Reason}); this host stops it, and another host claims it")]
    private static partial void LogRefused(ILogger logger, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: another host took it over; this host writes no more of it.")]
    private static partial void LogFenced(ILogger logger, string jobId);

    /// <summary>A job's entries taken from its log and not yet in Redis.</summary>
    private sealed class Unwritten(IStoredJobLog log)
    {
        public IStoredJobLog Log { get; } = log;

        public List<JobLogEntry> Entries { get; } = [];
    }
}
