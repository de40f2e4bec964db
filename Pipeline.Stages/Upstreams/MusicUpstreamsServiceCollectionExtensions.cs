using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Pipeline.Throttling;

namespace Pipeline.Stages.Upstreams;

/// <summary>Registers the music upstream clients: each behind resilience and the shared throttle.</summary>
public static class MusicUpstreamsServiceCollectionExtensions
{
    /// <summary>
    /// Adds Spotify, Deezer and Last.fm clients bound to <c>Pipeline:Upstreams</c>. Per client, outermost first:
    /// standard resilience (timeouts, retries honouring Retry-After, circuit breaker), the throttle (so every retry
    /// is a new call against the rate limit and the budget), then upstream-specific handlers. Requests are not logged
    /// by HttpClientFactory: their URLs can carry keys.
    /// </summary>
    /// <param name="services">The service collection; needs <c>AddPipelineCore()</c> and an <see cref="ISandboxAddress"/> for sandbox mode.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddMusicUpstreams(this IServiceCollection services)
    {
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>());
        services.TryAddSingleton<SpotifyTokenProvider>();
        services.TryAddSingleton<UpstreamMetrics>();

        Upstream(services.AddHttpClient(SpotifyTokenProvider.ClientName), SpotifyClient.Lane, (o, _) => (o.Spotify.AccountsBaseUrl, "spotify-accounts/", o.Spotify.HasKeys));
        Upstream(services.AddHttpClient<SpotifyClient>(), SpotifyClient.Lane, (o, _) => (o.Spotify.ApiBaseUrl, "spotify/v1/", o.Spotify.HasKeys))
            .AddHttpMessageHandler(sp => new SpotifyAuthHandler(sp.GetRequiredService<SpotifyTokenProvider>()));
        Upstream(services.AddHttpClient<DeezerClient>(), DeezerClient.Lane, (o, _) => (o.Deezer.BaseUrl, "deezer/", o.Spotify.HasKeys || o.LastFm.HasKeys))
            .AddHttpMessageHandler(sp => ErrorBodyHandler.Deezer(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.Deezer.QuotaPause));
        Upstream(services.AddHttpClient<LastFmClient>(), LastFmClient.Lane, (o, _) => (o.LastFm.BaseUrl, "lastfm/2.0/", o.LastFm.HasKeys))
            .ConfigureHttpClient((sp, c) => c.DefaultRequestHeaders.UserAgent.ParseAdd(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.LastFm.UserAgent))
            .AddHttpMessageHandler(sp => ErrorBodyHandler.LastFm(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.LastFm.RateLimitPause));
        return services;
    }

    internal static IHttpClientBuilder Upstream(IHttpClientBuilder client, string lane, Func<UpstreamOptions, IServiceProvider, (Uri Real, string SandboxPath, bool HasKeys)> address)
    {
        client.RemoveAllLoggers();
        client.ConfigurePrimaryHttpMessageHandler(SendStamp.Handler);
        client.ConfigureHttpClient((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<UpstreamOptions>>().Value;
            var (real, sandboxPath, hasKeys) = address(options, sp);
            var useReal = options.Mode == UpstreamMode.Real || (options.Mode == UpstreamMode.Auto && hasKeys);
            http.BaseAddress = useReal ? real : new Uri(sp.GetRequiredService<ISandboxAddress>().BaseAddress, sandboxPath);
            // Timeouts belong to the resilience pipeline.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        client.AddStandardResilienceHandler().Configure((resilience, sp) =>
        {
            var settings = sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.Resilience;
            resilience.AttemptTimeout.Timeout = settings.AttemptTimeout;
            resilience.TotalRequestTimeout.Timeout = settings.TotalTimeout;
            resilience.Retry.MaxRetryAttempts = settings.MaxRetries;
            resilience.Retry.Delay = settings.RetryDelay;
            resilience.Retry.ShouldRetryAfterHeader = true;
            resilience.CircuitBreaker.SamplingDuration = settings.AttemptTimeout * 3;
        });
        client.AddHttpMessageHandler(sp => new ThrottleHandler(sp.GetRequiredService<Throttle>(), lane, sp.GetRequiredService<UpstreamMetrics>()));
        return client;
    }
}
