using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;

namespace Pipeline.Redis.Caching;

/// <summary>
/// The Redis cache as the shared answer cache's second level: while Redis does not answer, a read is a miss and a
/// write is skipped, counted and not thrown, so HybridCache does not log an error per lookup (the cluster's connection
/// logs the outage once).
/// </summary>
internal sealed class QuietDistributedCache(IBufferDistributedCache inner, Action failed) : IBufferDistributedCache
{
    public byte[]? Get(string key) => Quiet(() => inner.Get(key));

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => QuietAsync(() => inner.GetAsync(key, token), null);

    public bool TryGet(string key, IBufferWriter<byte> destination) => Quiet(() => inner.TryGet(key, destination));

    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
        new(QuietAsync(() => inner.TryGetAsync(key, destination, token).AsTask(), false));

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Quiet(() => { inner.Set(key, value, options); return 0; });

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        QuietAsync(async () => { await inner.SetAsync(key, value, options, token); return 0; }, 0);

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => Quiet(() => { inner.Set(key, value, options); return 0; });

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        new(QuietAsync(async () => { await inner.SetAsync(key, value, options, token); return 0; }, 0));

    public void Refresh(string key) => Quiet(() => { inner.Refresh(key); return 0; });

    public Task RefreshAsync(string key, CancellationToken token = default) => QuietAsync(async () => { await inner.RefreshAsync(key, token); return 0; }, 0);

    public void Remove(string key) => Quiet(() => { inner.Remove(key); return 0; });

    public Task RemoveAsync(string key, CancellationToken token = default) => QuietAsync(async () => { await inner.RemoveAsync(key, token); return 0; }, 0);

    private T? Quiet<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            failed();
            return default;
        }
    }

    private async Task<T> QuietAsync<T>(Func<Task<T>> call, T missing)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            failed();
            return missing;
        }
    }
}
