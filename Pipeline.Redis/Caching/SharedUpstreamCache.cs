using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Pipeline.Stages.Caching;

namespace Pipeline.Redis.Caching;

/// <summary>
/// Upstream answers the hosts of a cluster share: <see cref="HybridCache"/> over Redis, with its in-memory first
/// level, so an answer any host fetched is a hit on every other. Same TTLs as the single host's file; an entry
/// lives in memory at most <see cref="LocalTtl"/>, so a host sees another's newer answer within it. While Redis does
/// not answer, the memory level alone serves (no call made to fail, and none logged per lookup).
/// </summary>
internal sealed class SharedUpstreamCache : IUpstreamCache
{
    /// <summary>How long an entry stays in a host's memory at most.</summary>
    public static readonly TimeSpan LocalTtl = TimeSpan.FromMinutes(5);

    /// <summary>The memory level's bound, in bytes of cached answers.</summary>
    public const long MemoryBytes = 64L * 1024 * 1024;

    private static readonly HybridCacheEntryOptions Read = new() { Flags = HybridCacheEntryFlags.DisableUnderlyingData };
    private static readonly HybridCacheEntryOptions ReadApart = new() { Flags = HybridCacheEntryFlags.DisableUnderlyingData | HybridCacheEntryFlags.DisableDistributedCache };

    private readonly HybridCache _cache;
    private readonly RedisCluster _cluster;
    private readonly CacheMetrics _metrics;
    private readonly HybridCacheEntryOptions _found;
    private readonly HybridCacheEntryOptions _foundApart;
    private readonly HybridCacheEntryOptions _notFound;
    private readonly HybridCacheEntryOptions _notFoundApart;

    public SharedUpstreamCache(HybridCache cache, RedisCluster cluster, IOptions<CacheOptions> options, CacheMetrics metrics)
    {
        (_cache, _cluster, _metrics) = (cache, cluster, metrics);
        metrics.ObserveHealth(() => cluster.IsConnected); // while Redis is away, answers are kept in this host's memory only
        (_found, _foundApart) = Write(options.Value.FoundTtl);
        (_notFound, _notFoundApart) = Write(options.Value.NotFoundTtl);

        static (HybridCacheEntryOptions Shared, HybridCacheEntryOptions Apart) Write(TimeSpan ttl)
        {
            var local = ttl < LocalTtl ? ttl : LocalTtl;
            return (new() { Expiration = ttl, LocalCacheExpiration = local },
                new() { Expiration = ttl, LocalCacheExpiration = local, Flags = HybridCacheEntryFlags.DisableDistributedCache });
        }
    }

    public async ValueTask<(bool Found, T? Value)> GetAsync<T>(string kind, string key, CancellationToken cancellationToken)
    {
        var answer = await _cache.GetOrCreateAsync<Answer<T>?>(
            Key(kind, key),
            static _ => ValueTask.FromResult<Answer<T>?>(null), // never called: a miss is a miss
            _cluster.IsConnected ? Read : ReadApart,
            cancellationToken: cancellationToken);
        _metrics.Lookup(kind, answer is not null);
        return answer is null ? (false, default) : (true, answer.Value);
    }

    public ValueTask SetAsync<T>(string kind, string key, T? value, CancellationToken cancellationToken)
    {
        var shared = _cluster.IsConnected;
        var options = value is null ? shared ? _notFound : _notFoundApart : shared ? _found : _foundApart;
        return _cache.SetAsync(Key(kind, key), new Answer<T>(value), options, cancellationToken: cancellationToken);
    }

    private static string Key(string kind, string key) => $"{kind}:{key}";

    /// <summary>An answer as cached: a hit with a null <see cref="Value"/> is a cached "not found".</summary>
    private sealed class Answer<T>(T? value)
    {
        public T? Value { get; } = value;
    }
}
