using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Pipeline.Configuration;

/// <summary>Registers <see cref="ReloadableOptions{TOptions}"/>.</summary>
public static class ReloadableOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ReloadableOptions{TOptions}"/> for options already bound (e.g. with <c>BindConfiguration</c>,
    /// which registers their change tokens) and validated.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section, for logs and the <c>pipeline.config.reloads</c> tag.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddReloadableOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ConfigMetrics>();
        services.TryAddSingleton(sp => Create<TOptions>(sp, section));
        return services;
    }

    internal static ReloadableOptions<TOptions> Create<TOptions>(IServiceProvider services, string section, string? name = null)
        where TOptions : class =>
        new(
            services.GetRequiredService<IOptionsFactory<TOptions>>(),
            services.GetServices<IOptionsChangeTokenSource<TOptions>>(),
            section,
            services.GetRequiredService<ConfigMetrics>(),
            (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Pipeline.Configuration"),
            name);
}
