using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeline.Tests.Support;

/// <summary>The real host (Program) on real Kestrel at 127.0.0.1 on a free port, offline, with fast sandbox settings (a null setting drops a default).</summary>
internal sealed class HostServer : WebApplicationFactory<Program>
{
    private readonly TempDirectory _storage = new();
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <summary>Starts the host with <paramref name="settings"/> over the test defaults and <paramref name="services"/> over its own.</summary>
    public HostServer(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Pipeline:Storage:Directory"] = _storage.Path,
            ["Pipeline:Throttle:Limit"] = "1000",
            ["Pipeline:Throttle:LaneRates:lastfm"] = "1000",
            ["Pipeline:Throttle:LaneRates:deezer"] = "1000",
            ["Pipeline:Throttle:LaneRates:spotify"] = "1000",
            ["Pipeline:Throttle:LaneSpacing:lastfm"] = "00:00:00", // the shipped pacing (5/s) would make each pool a few seconds
            ["Pipeline:Throttle:LaneSpacing:deezer"] = "00:00:00",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "0",
        };
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic", "OpenAi" })
        {
            _settings[$"Pipeline:Sandbox:{upstream}:MedianLatency"] = "00:00:00";
            _settings[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        // A null setting removes the default, so a tuning file (Pipeline:ConfigFile) can hold that key instead.
        foreach (var key in _settings.Where(s => s.Value is null).Select(s => s.Key).ToList())
        {
            _settings.Remove(key);
        }

        UseKestrel(0);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0").ConfigureAppConfiguration(c => c.AddInMemoryCollection(_settings));
        foreach (var early in (string[])["Pipeline:ConfigFile", "Pipeline:Upstreams:SandboxUrl", "Pipeline:Upstreams:Mode", "Pipeline:Cluster:Redis"])
        {
            if (_settings.TryGetValue(early, out var value))
            {
                builder.UseSetting(early, value); // read by Program before the settings above apply
            }
        }
        builder.ConfigureLogging(logging => logging.AddFakeLogging());
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _storage.Dispose();
        }
    }
}
