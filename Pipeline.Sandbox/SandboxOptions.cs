namespace Pipeline.Sandbox;

/// <summary>The offline sandbox: fake upstreams speaking the real wire formats over real HTTP, backed by a real catalog.</summary>
public sealed class SandboxOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Sandbox";

    /// <summary>Seed of the latency and fault dice, so runs repeat.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Answers callers on other machines too; by default only callers on this one (loopback, or the address the call came in on).</summary>
    public bool AllowRemote { get; set; }

    /// <summary>Requests kept in the request log, newest last.</summary>
    public int RequestLogCapacity { get; set; } = 100_000;

    /// <summary>Spotify: rolling 30-second window, 429 + Retry-After past it.</summary>
    public UpstreamBehaviour Spotify { get; set; } = new() { MedianLatency = TimeSpan.FromMilliseconds(120), P95Latency = TimeSpan.FromMilliseconds(350), QuotaLimit = 600, QuotaWindow = TimeSpan.FromSeconds(30) };

    /// <summary>Deezer: 50 requests per 5 seconds, then an HTTP 200 quota error body.</summary>
    public UpstreamBehaviour Deezer { get; set; } = new() { MedianLatency = TimeSpan.FromMilliseconds(80), P95Latency = TimeSpan.FromMilliseconds(250), QuotaLimit = 50, QuotaWindow = TimeSpan.FromSeconds(5) };

    /// <summary>Last.fm: about 5 requests per second, then error 29.</summary>
    public UpstreamBehaviour LastFm { get; set; } = new() { MedianLatency = TimeSpan.FromMilliseconds(100), P95Latency = TimeSpan.FromMilliseconds(300), QuotaLimit = 25, QuotaWindow = TimeSpan.FromSeconds(5) };

    /// <summary>Anthropic Messages: the time to first byte, 429 + retry-after past its quota, 529 overloaded as its error.</summary>
    public UpstreamBehaviour Anthropic { get; set; } = new() { MedianLatency = TimeSpan.FromMilliseconds(400), P95Latency = TimeSpan.FromMilliseconds(1200), QuotaLimit = 50, QuotaWindow = TimeSpan.FromMinutes(1) };

    /// <summary>OpenAI-compatible chat completions: as <see cref="Anthropic"/>, with OpenAI's error shapes.</summary>
    public UpstreamBehaviour OpenAi { get; set; } = new() { MedianLatency = TimeSpan.FromMilliseconds(300), P95Latency = TimeSpan.FromMilliseconds(900), QuotaLimit = 60, QuotaWindow = TimeSpan.FromMinutes(1) };

    /// <summary>How fast the sandbox model streams its answer, tokens per second; 0 for no pacing.</summary>
    public double LlmTokensPerSecond { get; set; } = 80;

    /// <summary>Most results one Spotify search page may ask for (10 since the Feb-2026 development-mode change).</summary>
    public int SpotifySearchMaxLimit { get; set; } = 10;

    /// <summary>Spotify access-token lifetime.</summary>
    public TimeSpan SpotifyTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Answer audio-features with 403, as Spotify does for apps registered after Nov 2024.</summary>
    public bool SpotifyAudioFeaturesForbidden { get; set; }

    /// <summary>Share of Deezer tracks reported with <c>bpm: 0</c> (never analysed).</summary>
    public double DeezerBpmMissingRate { get; set; } = 0.1;
}
