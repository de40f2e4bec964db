using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Pipeline.Throttling;

namespace Pipeline.Stages.Upstreams;

/// <summary>Registers the music upstream clients: each behind resilience and the shared throttle.</summary>
public static class MusicUpstreamsServiceCollectionExtensions
{
    // The circuit breaker samples three attempt timeouts, and no less than Polly allows.
    private static readonly TimeSpan MinSampling = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// Adds Spotify, Deezer and Last.fm clients bound to <c>Pipeline:Upstreams</c>. Per client, outermost first:
    /// the total timeout (a clock that stops while the call waits for a permit), resilience (retries honouring
    /// Retry-After, circuit breaker), the throttle (so every retry is a new call against the rate limit and the
    /// budget), the attempt timeout (the upstream's answer, not the wait for a permit), then upstream-specific handlers. Requests are not logged
    /// by HttpClientFactory: their URLs can carry keys.
    /// </summary>
    /// <param name="services">The service collection; needs <c>AddPipelineCore()</c> and an <see cref="ISandboxAddress"/> for sandbox mode.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddMusicUpstreams(this IServiceCollection services)
    {
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>());
        // A sandbox running elsewhere, when configured; a host that maps its own registers that address instead.
        services.TryAddSingleton<ISandboxAddress>(sp => new RemoteSandbox(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.SandboxUrl
            ?? throw new InvalidOperationException($"No sandbox: set {UpstreamOptions.Section}:SandboxUrl, or map the sandbox in-process (AddSandbox).")));
        services.TryAddSingleton<SpotifyTokenProvider>();
        services.TryAddSingleton<UpstreamMetrics>();
        services.TryAddSingleton<UpstreamFaultLog>();
        services.AddHostedService(sp => sp.GetRequiredService<UpstreamFaultLog>());
        services.AddOptions<Polly.Telemetry.TelemetryOptions>().Configure<UpstreamFaultLog>((telemetry, faults) =>
        {
            telemetry.SeverityProvider = UpstreamFaultLog.Severity;
            telemetry.TelemetryListeners.Add(faults);
        });

        services.AddThrottleLane(SpotifyClient.Lane, 5).AddThrottleLane(LastFmClient.Lane, 10).AddThrottleLane(DeezerClient.Lane, 10);
        Upstream(services.AddHttpClient(SpotifyTokenProvider.ClientName), SpotifyClient.Lane, (o, _) => (o.Spotify.AccountsBaseUrl, "spotify-accounts/", o.Spotify.HasKeys));
        Upstream(services.AddHttpClient<SpotifyClient>(), SpotifyClient.Lane, (o, _) => (o.Spotify.ApiBaseUrl, "spotify/v1/", o.Spotify.HasKeys), SpotifyClient.EndpointOf)
            .AddHttpMessageHandler(sp => new SpotifyAuthHandler(sp.GetRequiredService<SpotifyTokenProvider>()));
        Upstream(services.AddHttpClient<DeezerClient>(), DeezerClient.Lane, (o, _) => (o.Deezer.BaseUrl, "deezer/", o.Spotify.HasKeys || o.LastFm.HasKeys))
            .AddHttpMessageHandler(sp => ErrorBodyHandler.Deezer(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.Deezer.QuotaPause));
        Upstream(services.AddHttpClient<LastFmClient>(), LastFmClient.Lane, (o, _) => (o.LastFm.BaseUrl, "lastfm/2.0/", o.LastFm.HasKeys))
            .ConfigureHttpClient((sp, c) => c.DefaultRequestHeaders.UserAgent.ParseAdd(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.LastFm.UserAgent))
            .AddHttpMessageHandler(sp => ErrorBodyHandler.LastFm(sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.LastFm.RateLimitPause));
        return services;
    }

    /// <param name="client">The client to set up.</param>
    /// <param name="lane">Its throttle lane.</param>
    /// <param name="address">Its real and sandbox addresses, and whether its keys are set.</param>
    /// <param name="endpointOf">
    /// Names the endpoint a request calls, for an upstream with one that can be closed to an app on its own: each named
    /// endpoint has its own resilience pipeline, and a <see cref="ClosableEndpoint"/> breaker (403/404 open it for
    /// <see cref="UpstreamResilienceOptions.ClosedEndpointRecheck"/>). Requests named <c>""</c> share the upstream's.
    /// </param>
    internal static IHttpClientBuilder Upstream(IHttpClientBuilder client, string lane, Func<UpstreamOptions, IServiceProvider, (Uri Real, string SandboxPath, bool HasKeys)> address, Func<HttpRequestMessage, string>? endpointOf = null)
    {
        client.RemoveAllLoggers();
        client.ConfigurePrimaryHttpMessageHandler(SendStamp.Handler);
        client.ConfigureHttpClient((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<UpstreamOptions>>().Value;
            var (real, sandboxPath, hasKeys) = address(options, sp);
            http.BaseAddress = options.CallsSandbox(hasKeys) ? new Uri(sp.GetRequiredService<ISandboxAddress>().BaseAddress, sandboxPath) : real;
            // Timeouts belong to the resilience pipeline.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        // The standard pipeline's strategies, split around the throttle: a call may queue for its permit until its
        // job's deadline, and only the upstream's own time counts against the timeouts: the attempt's answer, and all
        // attempts with the pauses between them (queued calls timed out by the hundred under a backlog, and their
        // retries lost their place in the queue).
        client.AddHttpMessageHandler(sp => new CallTimeoutHandler(lane, sp.GetRequiredService<IOptions<UpstreamOptions>>().Value.Resilience.TotalTimeout, sp.GetRequiredService<TimeProvider>()));
        var resilience = client.AddResilienceHandler("upstream", static (pipeline, context) =>
        {
            var settings = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value.Resilience;
            pipeline
                .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = settings.MaxRetries, Delay = settings.RetryDelay, ShouldRetryAfterHeader = true })
                .AddCircuitBreaker(context.InstanceName is { Length: > 0 }
                    ? ClosableEndpoint.Breaker(settings.ClosedEndpointRecheck)
                    : new HttpCircuitBreakerStrategyOptions { SamplingDuration = TimeSpan.FromTicks(Math.Max(settings.AttemptTimeout.Ticks * 3, MinSampling.Ticks)) });
        });
        if (endpointOf is not null)
        {
            resilience.SelectPipelineBy(_ => endpointOf);
        }

        client.AddHttpMessageHandler(sp => new ThrottleHandler(sp.GetRequiredService<Throttle>(), lane, sp.GetRequiredService<UpstreamMetrics>()));
        client.AddResilienceHandler("attempt", static (pipeline, context) => pipeline.AddTimeout(new HttpTimeoutStrategyOptions
        {
            Name = "AttemptTimeout",
            Timeout = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value.Resilience.AttemptTimeout,
        }));
        return client;
    }
}
