using System.Collections.Concurrent;
using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;
using LiteDB.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Stages.Storage;

namespace Pipeline.Stages.Caching;

/// <summary>
/// Cached upstream answers in one LiteDB file. Its <see cref="LiteDbOwner{T}"/> makes every database call, in order,
/// applying writes in batched transactions; writes queued before a read are committed before it is answered. A bounded in-memory front answers repeated lookups without queueing. The cache is best effort: a file that is
/// damaged at start is moved aside for a fresh one, and while the file cannot be written (a full disk, an I/O error)
/// the cache stops caching, says so once, and tries the file again every <see cref="RetryInterval"/>; jobs go on.
/// </summary>
internal sealed partial class UpstreamCache : IUpstreamCache, IAsyncDisposable
{
    /// <summary>How long a cache that could not write waits before it tries its file again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    private readonly LiteDbOwner<Operation> _owner;
    private readonly List<CacheEntry> _writes = [];
    private readonly List<Operation> _waiting = [];
    private readonly ConcurrentDictionary<string, CacheEntry> _memory = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _memoryOrder = new();
    private readonly string _path;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly CacheMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<Stream, Stream>? _wrap;
    private LiteDatabase? _database;
    private Stream? _data;
    private Stream? _log;
    private WriteBarrier _barrier = new();
    private ILiteCollection<CacheEntry>? _entries;
    private string? _failing; // why the file cannot be written, while it cannot
    private long _retryAtTicks; // while failing: no operation queues before then
    private DateTimeOffset _purgeDue;

    public UpstreamCache(string path, IOptions<CacheOptions> options, TimeProvider time, CacheMetrics metrics, ILogger<UpstreamCache> logger, CorruptionPolicy onCorruption = CorruptionPolicy.Quarantine, Func<Stream, Stream>? wrapFile = null)
    {
        _path = path;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _wrap = wrapFile;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        OpenChecked(onCorruption);
        metrics.ObserveHealth(() => Volatile.Read(ref _failing) is null);
        _purgeDue = time.GetUtcNow();
        _owner = new LiteDbOwner<Operation>(_options.QueueLimit, time);
        _owner.Start(Accept, Step);
    }

    /// <inheritdoc/>
    public async ValueTask<(bool Found, T? Value)> GetAsync<T>(string kind, string key, CancellationToken cancellationToken)
    {
        var id = $"{kind}:{key}";
        var entry = _memory.TryGetValue(id, out var remembered) ? remembered : Resting ? null : await ReadAsync(id, cancellationToken);
        var hit = entry is not null && entry.ExpiresAtTicks > _time.GetUtcNow().UtcTicks;
        _metrics.Lookup(kind, hit);
        if (!hit)
        {
            return (false, default);
        }

        Remember(entry!);
        return (true, entry!.Json is null ? default : JsonSerializer.Deserialize<T>(entry.Json));
    }

    /// <inheritdoc/>
    /// <remarks>Waits only when the owner is far behind.</remarks>
    public ValueTask SetAsync<T>(string kind, string key, T? value, CancellationToken cancellationToken)
    {
        var ttl = value is null ? _options.NotFoundTtl : _options.FoundTtl;
        var entry = new CacheEntry
        {
            Key = $"{kind}:{key}",
            Json = value is null ? null : JsonSerializer.Serialize(value),
            ExpiresAtTicks = (_time.GetUtcNow() + ttl).UtcTicks,
        };
        Remember(entry);
        return Resting ? ValueTask.CompletedTask : _owner.PostAsync(new Operation(entry, null), cancellationToken);
    }

    /// <summary>Waits until every write queued so far is in the file (or given up on, while the file cannot be written).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CacheEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _owner.PostAsync(new Operation(null, done, Flush: true), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _owner.CompleteAsync();
        Close();
    }

    // While the file cannot be written, and its next try is not due, the cache is the memory front alone.
    private bool Resting => Volatile.Read(ref _failing) is not null && _time.GetUtcNow().UtcTicks < Interlocked.Read(ref _retryAtTicks);

    // The files are opened here, not by LiteDB, so a close after a failure closes them for good: an engine given up
    // on cannot write into the files a reopened one is using.
    private void Open()
    {
        _barrier = new WriteBarrier();
        try
        {
            _data = Wrap(new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess));
            _log = Wrap(new FileStream(LiteDbFile.LogPathOf(_path), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0));
            _database = new LiteDatabase(new LiteEngine(new EngineSettings { DataStream = _data, LogStream = _log }));
            _entries = _database.GetCollection<CacheEntry>("entries");
            _entries.EnsureIndex(e => e.ExpiresAtTicks);
        }
        catch
        {
            Close();
            throw;
        }

        Stream Wrap(Stream file) => _barrier.Wrap(_wrap is null ? file : _wrap(file));
    }

    /// <summary>Opens the file and reads every entry back; a damaged one is moved aside or refused (<see cref="LiteDbFile.OpenChecked"/>).</summary>
    private void OpenChecked(CorruptionPolicy policy)
    {
        if (LiteDbFile.OpenChecked(_path, policy, _time.GetUtcNow(), "cache", "entries", Open, ReadAll, Close) is { } damaged)
        {
            _metrics.Quarantined();
            LogQuarantined(_logger, _path, damaged.Reason, damaged.Readable, damaged.MovedTo);
        }

        void ReadAll(Action counted)
        {
            foreach (var _ in _entries!.FindAll())
            {
                counted();
            }
        }
    }

    // Closes the files as far as they will close: after an I/O error they are given up on and opened again later.
    private void Close()
    {
        LiteDbFile.CloseQuietly(_database, _data, _log);
        (_database, _entries, _data, _log) = (null, null, null, null);
    }

    private async Task<CacheEntry?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CacheEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _owner.PostAsync(new Operation(new CacheEntry { Key = id }, done), cancellationToken);
        return await done.Task.WaitAsync(cancellationToken);
    }

    private void Remember(CacheEntry entry)
    {
        if (_options.MemoryEntries == 0)
        {
            return;
        }

        if (_memory.TryAdd(entry.Key, entry))
        {
            _memoryOrder.Enqueue(entry.Key);
            // Oldest first out: a bound, not an LRU; the file still has everything.
            while (_memory.Count > _options.MemoryEntries && _memoryOrder.TryDequeue(out var oldest))
            {
                _memory.TryRemove(oldest, out _);
            }
        }
        else
        {
            _memory[entry.Key] = entry;
        }
    }

    // A batch: up to WriteBatch writes, up to the first read or flush.
    private bool Accept(Operation operation)
    {
        if (operation.Done is null)
        {
            _writes.Add(operation.Entry!);
            return _writes.Count < _options.WriteBatch;
        }

        _waiting.Add(operation);
        return false;
    }

    // The one place the database is touched. Writes queued before a read are committed before it is answered.
    private LiteDbStep Step(bool queueClosed)
    {
        if (_writes.Count == 0 && _waiting.Count == 0)
        {
            return LiteDbStep.Idle;
        }

        if (Resting)
        {
            foreach (var operation in _waiting)
            {
                operation.Done!.TrySetResult(null); // a miss; the upstream is asked instead
            }
        }
        else
        {
            Write();
        }

        _writes.Clear(); // while resting, the memory front holds them
        _waiting.Clear();
        return LiteDbStep.Now;
    }

    private void Write()
    {
        try
        {
            if (_database is null)
            {
                Open(); // the first try since the file failed
            }

            ThrowIfBarred(); // an earlier batch's pages, written after it returned, did not make it
            if (_writes.Count > 0)
            {
                _entries!.Upsert(_writes); // one transaction for the batch
            }

            var answers = _waiting.ConvertAll(o => o.Flush ? null : _entries!.FindById(o.Entry!.Key));
            if (_time.GetUtcNow() >= _purgeDue)
            {
                var now = _time.GetUtcNow().UtcTicks;
                _entries!.DeleteMany(e => e.ExpiresAtTicks < now);
                _purgeDue = _time.GetUtcNow() + LiteDbFile.PurgeInterval;
            }

            ThrowIfBarred();
            if (Interlocked.Exchange(ref _failing, null) is { } was)
            {
                LogRecovered(_logger, _path, was); // said before a flush waiting on this batch returns
            }

            for (var i = 0; i < _waiting.Count; i++)
            {
                _waiting[i].Done!.TrySetResult(answers[i]);
            }
        }
        catch (Exception e) when (e is IOException or LiteException or UnauthorizedAccessException)
        {
            Failed(e, _waiting);
        }
    }

    private void ThrowIfBarred()
    {
        if (_barrier.Fault is { } fault)
        {
            throw new IOException(fault);
        }
    }

    // The file cannot be written: what was queued is given up (the memory front keeps it), lookups miss, and the
    // file is tried again after the retry interval. One line when the failing starts, none per batch.
    private void Failed(Exception failure, List<Operation> waiting)
    {
        Close();
        foreach (var operation in waiting)
        {
            operation.Done!.TrySetResult(null);
        }

        Interlocked.Exchange(ref _retryAtTicks, (_time.GetUtcNow() + RetryInterval).UtcTicks);
        _metrics.WriteFailed();
        if (Interlocked.Exchange(ref _failing, failure.Message) is null)
        {
            LogFailing(_logger, _path, failure.Message, RetryInterval.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The cache {Path} cannot be written ({Reason}): upstream answers are not cached meanwhile, and jobs go on. The file is tried again every {Seconds} s.")]
    private static partial void LogFailing(ILogger logger, string path, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cache {Path} writes again (it had failed: {Reason}).")]
    private static partial void LogRecovered(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The cache {Path} is damaged ({Reason}); {Readable} entries could be read from it. It is moved aside as {Quarantine} and the host starts with an empty cache.")]
    private static partial void LogQuarantined(ILogger logger, string path, string reason, int readable, string quarantine);

    private sealed record Operation(CacheEntry? Entry, TaskCompletionSource<CacheEntry?>? Done, bool Flush = false);
}
