using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeline.Redis.Caching;
using Pipeline.Redis.Throttling;
using Pipeline.Stages.Caching;
using Pipeline.Throttling;

namespace Pipeline.Redis;

/// <summary>Registers cluster mode.</summary>
public static class RedisClusterServiceCollectionExtensions
{
    /// <summary>
    /// Binds <c>Pipeline:Cluster</c> (validated at start, naming the key) and, when <c>Pipeline:Cluster:Redis</c> is set,
    /// puts the host in cluster mode: the throttle's global rate and its lanes' rates are kept in Redis with the other
    /// hosts' (<see cref="IStartReservations"/>), and so are its lanes' slots and pauses (<see cref="ISharedLanes"/>), the
    /// upstream answer cache (HybridCache over Redis) and the jobs' queue, records and logs (<c>RedisJobs</c>, which the
    /// host's job API then uses). Without it the host stays a single host, and nothing here runs.
    /// </summary>
    /// <param name="services">The service collection; before <c>AddPipelineCore()</c> resolves its throttle.</param>
    /// <param name="configuration">The configuration, read now to choose the mode.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRedisCluster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        if (string.IsNullOrWhiteSpace(configuration[$"{ClusterOptions.Section}:Redis"]))
        {
            return services;
        }

        services.TryAddSingleton<ClusterMetrics>();
        services.TryAddSingleton<RedisCluster>();
        services.TryAddSingleton<IStartReservations, RedisStartReservations>();
        services.TryAddSingleton<ISharedLanes, RedisLaneSlots>();
        services.TryAddSingleton<Jobs.RedisJobs>();
        AddSharedCache(services);
        return services;
    }

    // Upstream answers through HybridCache over Redis, on the cluster's own connection, its keys under the cluster's name.
    private static void AddSharedCache(IServiceCollection services)
    {
        services.AddOptions<RedisCacheOptions>().Configure<RedisCluster>((options, cluster) =>
        {
            options.ConnectionMultiplexerFactory = () => Task.FromResult(cluster.Connection);
            options.InstanceName = $"{{{cluster.Name}:cache}}:";
        });
        services.TryAddSingleton<IDistributedCache>(sp => new QuietDistributedCache(
            new RedisCache(sp.GetRequiredService<IOptions<RedisCacheOptions>>()),
            sp.GetRequiredService<CacheMetrics>().WriteFailed));
        services.AddMemoryCache(options => options.SizeLimit = SharedUpstreamCache.MemoryBytes);
        services.AddHybridCache();
        services.TryAddSingleton<IUpstreamCache, SharedUpstreamCache>();
    }
}
