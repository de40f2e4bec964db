using Pipeline.Configuration;
using Pipeline.Sandbox.Catalog;
using Pipeline.Sandbox.Faults;
using Pipeline.Sandbox.Upstreams;

namespace Pipeline.Sandbox;

/// <summary>Registers the offline sandbox.</summary>
public static class SandboxServiceCollectionExtensions
{
    /// <summary>Adds the sandbox's fake upstreams, its catalog (loaded once, on first use) and its search, its request log, and its options (<c>Pipeline:Sandbox</c>, validated at start).</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSandbox(this IServiceCollection services)
    {
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SandboxOptions>, SandboxOptionsValidator>();
        services.AddReloadableOptions<SandboxOptions>(SandboxOptions.Section);
        services.AddSingleton(_ => MusicCatalog.Shipped);
        services.AddSingleton<CatalogSearch>();
        services.AddSingleton(sp => new SandboxRequestLog(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SandboxOptions>>().Value.RequestLogCapacity));
        services.AddSingleton<SandboxGate>();
        services.AddSingleton<SpotifySandbox>();
        services.AddSingleton<DeezerSandbox>();
        services.AddSingleton<LastFmSandbox>();
        services.AddSingleton<LlmSandbox>();
        services.AddSingleton<Pipeline.Stages.Upstreams.ISandboxAddress, KestrelSandboxAddress>(); // this host's own address, over any other
        return services;
    }
}
