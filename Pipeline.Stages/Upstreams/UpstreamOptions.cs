using System.ComponentModel.DataAnnotations;

namespace Pipeline.Stages.Upstreams;

/// <summary>Where the music upstreams are and how calls to them are retried. Keys come from configuration or the environment.</summary>
public sealed class UpstreamOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Upstreams";

    /// <summary>Real services or the sandbox. Default <see cref="UpstreamMode.Auto"/>.</summary>
    public UpstreamMode Mode { get; set; } = UpstreamMode.Auto;

    /// <summary>Spotify Web API.</summary>
    public SpotifyUpstreamOptions Spotify { get; set; } = new();

    /// <summary>Deezer public API.</summary>
    public DeezerUpstreamOptions Deezer { get; set; } = new();

    /// <summary>Last.fm 2.0 API.</summary>
    public LastFmUpstreamOptions LastFm { get; set; } = new();

    /// <summary>Timeouts, retries and the circuit breaker of every non-streaming call.</summary>
    public UpstreamResilienceOptions Resilience { get; set; } = new();

    /// <summary>How often expected upstream faults (retries, timeouts, the circuit opening) are summed up in one log line per upstream. Default 30 s.</summary>
    public TimeSpan FaultLogInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A sandbox running elsewhere (<c>dotnet run --project Pipeline.Sandbox</c>), e.g. <c>http://127.0.0.1:5090/</c>:
    /// the upstreams without keys call it instead of the host's own, and the host maps no sandbox. Empty by default.
    /// </summary>
    public Uri? SandboxUrl { get; set; }

    /// <summary>Whether a client calls the sandbox: in <c>Sandbox</c> mode always, in <c>Auto</c> mode while its keys are missing.</summary>
    /// <param name="hasKeys">Whether the client's upstream keys are set.</param>
    /// <returns>True when the client's calls go to the sandbox.</returns>
    public bool CallsSandbox(bool hasKeys) => Mode == UpstreamMode.Sandbox || (Mode == UpstreamMode.Auto && !hasKeys);
}

/// <summary>Spotify Web API settings.</summary>
public sealed class SpotifyUpstreamOptions
{
    /// <summary>Client-credentials id (secret: never logged).</summary>
    public string? ClientId { get; set; }

    /// <summary>Client-credentials secret (never logged).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The accounts service, for tokens.</summary>
    public Uri AccountsBaseUrl { get; set; } = new("https://accounts.spotify.com/");

    /// <summary>The Web API.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.spotify.com/v1/");

    /// <summary>Results per search page: at most 10 for development-mode apps since Feb 2026.</summary>
    [Range(1, 50)]
    public int SearchLimit { get; set; } = 10;

    /// <summary>True when both credentials are set.</summary>
    public bool HasKeys => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}

/// <summary>Deezer API settings (no keys: the public catalogue is open).</summary>
public sealed class DeezerUpstreamOptions
{
    /// <summary>The API. Used when Spotify is real, or <see cref="UpstreamMode.Real"/>.</summary>
    public Uri BaseUrl { get; set; } = new("https://api.deezer.com/");

    /// <summary>How long Deezer's quota error (code 4, no Retry-After) pauses the lane.</summary>
    public TimeSpan QuotaPause { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Last.fm API settings.</summary>
public sealed class LastFmUpstreamOptions
{
    /// <summary>The API key (secret: never logged).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API.</summary>
    public Uri BaseUrl { get; set; } = new("https://ws.audioscrobbler.com/2.0/");

    /// <summary>The identifiable User-Agent Last.fm asks for.</summary>
    public string UserAgent { get; set; } = "Pipeline/1.0 (+https://example.invalid/pipeline)";

    /// <summary>How long error 29 (rate limit, no Retry-After) pauses the lane.</summary>
    public TimeSpan RateLimitPause { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when the key is set.</summary>
    public bool HasKeys => !string.IsNullOrWhiteSpace(ApiKey);
}

/// <summary>Resilience of non-streaming upstream calls (Microsoft.Extensions.Http.Resilience).</summary>
public sealed class UpstreamResilienceOptions
{
    /// <summary>One attempt's timeout: the upstream's answer, from the send to the response headers, not the wait for the throttle's permit. Default 10 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// All attempts together with the pauses between retries. The waits for the throttle's permits do not count: a
    /// quota wait is bounded by the job's deadline, and it is never a timeout. Default 60 s.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt (each one a new call against the rate limit and budget). Default 3; at least 1.</summary>
    [Range(1, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Base delay of the exponential backoff, when the upstream sends no Retry-After. Default 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long an endpoint that answered 403/404 (Spotify's audio features, closed to apps registered after Nov 2024)
    /// is left alone before one call tries it again.
    /// </summary>
    public TimeSpan ClosedEndpointRecheck { get; set; } = TimeSpan.FromMinutes(10);
}
