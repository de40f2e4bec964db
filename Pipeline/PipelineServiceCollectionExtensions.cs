using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Throttling;

namespace Pipeline;

/// <summary>Registers the Pipeline core: the shared throttle, the job registry and the stage factory.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the core services, with options bound from <c>Pipeline:Throttle</c>, <c>Pipeline:Jobs</c> and
    /// <c>Pipeline:Stages:{name}</c> and validated at start. Uses the registered <see cref="TimeProvider"/>, else the system one.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        services.AddOptions<ThrottleOptions>().BindConfiguration(ThrottleOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ThrottleOptions>, ThrottleOptionsValidator>());
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobOptions>, JobOptionsValidator>());
        services.AddOptions<StageOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<StageOptions>, StageOptionsConfigurator>());

        services.TryAddSingleton<ThrottleMetrics>();
        services.TryAddSingleton<StageMetrics>();
        services.TryAddSingleton<JobMetrics>();
        services.TryAddSingleton(sp => new Throttle(
            sp.GetRequiredService<IOptions<ThrottleOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ThrottleMetrics>()));
        services.TryAddSingleton(sp => new JobRegistry(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptionsMonitor<JobOptions>>(), sp.GetRequiredService<JobMetrics>()));
        services.TryAddSingleton(sp => new StageFactory(
            sp.GetRequiredService<StageMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptionsMonitor<StageOptions>>()));
        return services;
    }

    /// <summary>Sets a stage's built-in options; <c>Pipeline:Stages:{name}</c> in configuration still overrides each value.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The stage.</param>
    /// <param name="configure">Sets the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddStageDefaults(this IServiceCollection services, string name, Action<StageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new StageDefaults(name, configure));
        return services;
    }
}
