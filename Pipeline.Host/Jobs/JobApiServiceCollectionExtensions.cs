using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;

namespace Pipeline.Host.Jobs;

/// <summary>Registers the job API.</summary>
public static class JobApiServiceCollectionExtensions
{
    /// <summary>
    /// Adds the job service and its lifecycle (resume at start, drain at stop), the job store (<c>Pipeline:Storage</c>),
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
        services.AddSingleton<JobStore>();
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<JobStore>());
        services.AddSingleton<JobService>();
        services.AddHostedService<JobLifecycle>();
        // The host waits for the drain (and the store's last writes) before it gives up on stopping.
        services.AddOptions<HostOptions>().Configure<IOptions<StorageOptions>>((host, storage) =>
            host.ShutdownTimeout = storage.Value.DrainTimeout + TimeSpan.FromSeconds(10));
        services.AddOpenApi();
        return services;
    }
}
