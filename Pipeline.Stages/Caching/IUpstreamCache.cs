namespace Pipeline.Stages.Caching;

/// <summary>
/// Upstream answers kept for <see cref="CacheOptions.FoundTtl"/> (a "not found" for <see cref="CacheOptions.NotFoundTtl"/>):
/// one host's LiteDB file by default, or what the hosts of a cluster share.
/// </summary>
internal interface IUpstreamCache
{
    /// <summary>A cached answer: <c>Found</c> false on a miss; on a hit <c>Value</c> is null for a cached "not found".</summary>
    ValueTask<(bool Found, T? Value)> GetAsync<T>(string kind, string key, CancellationToken cancellationToken);

    /// <summary>Stores an answer (null for "not found", kept for the shorter TTL).</summary>
    ValueTask SetAsync<T>(string kind, string key, T? value, CancellationToken cancellationToken);
}
