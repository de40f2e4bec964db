using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// Where a measured host's upstreams are: the sandbox in the host's own process (the offline default), or apart in a
/// second host that the measured one calls as its real upstreams (<c>Pipeline:Upstreams:Mode</c> Real): the host as
/// deployed, without the sandbox's catalog and work in it.
/// </summary>
internal static class SandboxApart
{
    /// <summary>The sandbox's own host with <paramref name="sandbox"/>'s settings when <paramref name="apart"/>, else null.</summary>
    public static async Task<ChildHost?> StartAsync(bool apart, Dictionary<string, string> sandbox) =>
        apart ? await ChildHost.StartShippedAsync(sandbox) : null;

    /// <summary>The measured host's settings: pointed at the sandbox's own host when there is one, else with the sandbox's settings.</summary>
    public static Dictionary<string, string> With(Dictionary<string, string> settings, Dictionary<string, string> sandbox, ChildHost? upstreams)
    {
        foreach (var (key, value) in upstreams is null ? sandbox : AsRealUpstreams(new Uri(upstreams.Address, "/sandbox/")))
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Sandbox settings for the orchestration alone: every upstream answers at once, without quotas, and the model instantly.</summary>
    public static Dictionary<string, string> Instant()
    {
        var settings = new Dictionary<string, string> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "0" };
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic", "OpenAi" })
        {
            settings[$"Pipeline:Sandbox:{upstream}:MedianLatency"] = "00:00:00";
            settings[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        return settings;
    }

    /// <summary>A line for the report: where the upstreams were.</summary>
    public static string Describe(bool apart) =>
        apart ? "the sandbox in a second host process, called as real upstreams" : "the sandbox in the host's process (the offline default)";

    // The settings that point every upstream client at a sandbox elsewhere, as if it were the real services.
    private static Dictionary<string, string> AsRealUpstreams(Uri sandbox) => new()
    {
        ["Pipeline:Upstreams:Mode"] = "Real",
        ["Pipeline:Upstreams:Spotify:ClientId"] = "bench",
        ["Pipeline:Upstreams:Spotify:ClientSecret"] = "bench",
        ["Pipeline:Upstreams:Spotify:ApiBaseUrl"] = new Uri(sandbox, "spotify/v1/").ToString(),
        ["Pipeline:Upstreams:Spotify:AccountsBaseUrl"] = new Uri(sandbox, "spotify-accounts/").ToString(),
        ["Pipeline:Upstreams:Deezer:BaseUrl"] = new Uri(sandbox, "deezer/").ToString(),
        ["Pipeline:Upstreams:LastFm:ApiKey"] = "bench",
        ["Pipeline:Upstreams:LastFm:BaseUrl"] = new Uri(sandbox, "lastfm/2.0/").ToString(),
        ["Pipeline:Llm:Anthropic:ApiKey"] = "bench",
        ["Pipeline:Llm:Anthropic:BaseUrl"] = new Uri(sandbox, "anthropic/").ToString(),
    };
}
