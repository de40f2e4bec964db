using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Cluster;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Redis.Jobs;

namespace Pipeline.Host.Jobs;

/// <summary>Registers the job API.</summary>
public static class JobApiServiceCollectionExtensions
{
    /// <summary>
    /// Adds the job service and its lifecycle (resume at start, drain at stop), the job store (<c>Pipeline:Storage</c>; in
    /// Redis, with the cluster's work queue, when <c>AddRedisCluster</c> came first and put the host in cluster mode),
    /// streaming (<c>Pipeline:Streaming</c>, reloadable) and admission (<c>Pipeline:Admission</c>) options, each validated
    /// at start, and the API's OpenAPI document.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddJobApi(this IServiceCollection services)
    {
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StreamingOptions>, StreamingOptionsValidator>();
        services.AddReloadableOptions<StreamingOptions>(StreamingOptions.Section);
        services.AddSingleton<SseHeartbeat>();
        services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdmissionOptions>, AdmissionOptionsValidator>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        if (services.Any(d => d.ServiceType == typeof(RedisJobs)))
        {
            // Cluster mode (AddRedisCluster came first): jobs and logs in Redis, run by whichever host claims them.
            services.AddSingleton<ClusterJobStore>();
            services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<ClusterJobStore>());
            services.AddSingleton<ClusterJobs>();
            services.AddHostedService<JobDispatcher>();
        }
        else
        {
            services.AddSingleton<JobStore>();
            services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<JobStore>());
        }

        services.AddSingleton<JobService>();
        services.AddHostedService<JobLifecycle>();
        // The host waits for the drain (and the store's last writes) before it gives up on stopping.
        services.AddOptions<HostOptions>().Configure<IOptions<StorageOptions>>((host, storage) =>
            host.ShutdownTimeout = storage.Value.DrainTimeout + TimeSpan.FromSeconds(10));
        services.AddOpenApi();
        return services;
    }
}
