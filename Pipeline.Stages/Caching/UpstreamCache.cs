using System.Collections.Concurrent;
using JsonSerializer = System.Text.Json.JsonSerializer;
using System.Threading.Channels;
using LiteDB;
using Microsoft.Extensions.Options;

namespace Pipeline.Stages.Caching;

/// <summary>
/// Cached upstream answers in one LiteDB file. LiteDB 5.0.20 returns wrong results or throws "page type must be
/// index page" with a reader beside a writer on one instance (LiteDB issue #2817), and autocommitted single inserts
/// manage ≈455/s: so one owner task does every database call, in order, applying writes in batched transactions.
/// A bounded in-memory front answers repeated lookups without queueing.
/// </summary>
internal sealed class UpstreamCache : IAsyncDisposable
{
    private readonly Channel<Operation> _operations;
    private readonly ConcurrentDictionary<string, CacheEntry> _memory = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _memoryOrder = new();
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly CacheMetrics _metrics;
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<CacheEntry> _entries;
    private readonly Task _owner;

    public UpstreamCache(string path, IOptions<CacheOptions> options, TimeProvider time, CacheMetrics metrics)
    {
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _entries = _database.GetCollection<CacheEntry>("entries");
        _entries.EnsureIndex(e => e.ExpiresAtTicks);
        _operations = Channel.CreateBounded<Operation>(new BoundedChannelOptions(_options.QueueLimit) { SingleReader = true });
        // One loop, one reader of the channel: that, not a dedicated thread, is what serializes every database call.
        _owner = Task.Run(OwnAsync);
    }

    /// <summary>A cached answer: <c>Found</c> false on a miss; on a hit <c>Value</c> is null for a cached "not found".</summary>
    public async ValueTask<(bool Found, T? Value)> GetAsync<T>(string kind, string key, CancellationToken cancellationToken)
    {
        var id = $"{kind}:{key}";
        var entry = _memory.TryGetValue(id, out var remembered) ? remembered : await ReadAsync(id, cancellationToken);
        var hit = entry is not null && entry.ExpiresAtTicks > _time.GetUtcNow().UtcTicks;
        _metrics.Lookup(kind, hit);
        if (!hit)
        {
            return (false, default);
        }

        Remember(entry!);
        return (true, entry!.Json is null ? default : JsonSerializer.Deserialize<T>(entry.Json));
    }

    /// <summary>Stores an answer (null for "not found", kept for the shorter TTL). Waits only when the owner is far behind.</summary>
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
        return _operations.Writer.WriteAsync(new Operation(entry, null), cancellationToken);
    }

    /// <summary>Waits until every write queued so far is in the file.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CacheEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _operations.Writer.WriteAsync(new Operation(null, done, Flush: true), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _operations.Writer.TryComplete();
        await _owner;
        _database.Dispose();
    }

    private async Task<CacheEntry?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CacheEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _operations.Writer.WriteAsync(new Operation(new CacheEntry { Key = id }, done), cancellationToken);
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

    // The one place the database is touched. Writes queued before a read are committed before it is answered.
    private async Task OwnAsync()
    {
        var writes = new List<CacheEntry>(_options.WriteBatch);
        var waiting = new List<Operation>();
        var reader = _operations.Reader;
        var purgeDue = _time.GetUtcNow();
        while (await reader.WaitToReadAsync())
        {
            while (writes.Count < _options.WriteBatch && reader.TryRead(out var operation))
            {
                if (operation.Done is null)
                {
                    writes.Add(operation.Entry!);
                    continue;
                }

                waiting.Add(operation);
                break;
            }

            if (writes.Count > 0)
            {
                _entries.Upsert(writes); // one transaction for the batch
                writes.Clear();
            }

            foreach (var operation in waiting)
            {
                operation.Done!.TrySetResult(operation.Flush ? null : _entries.FindById(operation.Entry!.Key));
            }

            waiting.Clear();
            if (_time.GetUtcNow() >= purgeDue)
            {
                var now = _time.GetUtcNow().UtcTicks;
                _entries.DeleteMany(e => e.ExpiresAtTicks < now);
                purgeDue = _time.GetUtcNow().AddMinutes(10);
            }
        }
    }

    private sealed record Operation(CacheEntry? Entry, TaskCompletionSource<CacheEntry?>? Done, bool Flush = false);
}
