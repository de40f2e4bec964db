using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Throttling;

namespace Pipeline;

/// <summary>Registers the Pipeline core: the shared throttle, the job registry and the stage factory.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the core services, with options bound from <c>Pipeline:Throttle</c>, <c>Pipeline:Jobs</c> and
    /// <c>Pipeline:Stages:{name}</c>, validated at start and followed live (an invalid change is rejected and the last good values stay). Uses the registered <see cref="TimeProvider"/>, else the system one.
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StageOptions>, StageOptionsValidator>());

        services.TryAddSingleton<ThrottleMetrics>();
        services.TryAddSingleton<StageMetrics>();
        services.TryAddSingleton<JobMetrics>();
        services.AddReloadableOptions<ThrottleOptions>(ThrottleOptions.Section);
        services.AddReloadableOptions<JobOptions>(JobOptions.Section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<StageOptions>, StageOptionsChangeTokenSource>());
        services.TryAddSingleton(sp => new Throttle(
            sp.GetRequiredService<ReloadableOptions<ThrottleOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ThrottleMetrics>(), Logger(sp, "Pipeline.Throttling"), sp.GetService<IStartReservations>(), sp.GetService<ISharedLanes>()));
        services.TryAddSingleton(sp => new JobRegistry(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ReloadableOptions<JobOptions>>(), sp.GetRequiredService<JobMetrics>()));
        services.TryAddSingleton(sp => new StageFactory(
            sp.GetRequiredService<StageMetrics>(), sp.GetRequiredService<TimeProvider>(), name => ReloadableOptionsServiceCollectionExtensions.Create<StageOptions>(sp, $"{StageOptionsValidator.Section}:{name}", name)));
        return services;
    }

    private static ILogger Logger(IServiceProvider services, string category) =>
        (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(category);

    /// <summary>
    /// Declares a throttle lane and its default concurrency, as the code that registers an upstream knows it;
    /// <c>Pipeline:Throttle:Lanes:{lane}</c> overrides it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="lane">The lane.</param>
    /// <param name="concurrency">Calls in flight at once on it, by default.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddThrottleLane(this IServiceCollection services, string lane, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.PostConfigure<ThrottleOptions>(o => o.Lanes.TryAdd(lane, concurrency)); // after the configuration is bound: configured values win
        return services;
    }

    /// <summary>Sets a stage's built-in options (validated at start); <c>Pipeline:Stages:{name}</c> in configuration still overrides each value.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The stage.</param>
    /// <param name="configure">Sets the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddStageDefaults(this IServiceCollection services, string name, Action<StageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new StageDefaults(name, configure));
        services.AddOptions<StageOptions>(name).ValidateOnStart(); // a bad Pipeline:Stages:{name} value stops the host at start
        return services;
    }
}
