using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Pipeline.Tests.Support;

/// <summary>The real host (Program) on real Kestrel at 127.0.0.1 on a free port, offline, with fast sandbox settings.</summary>
internal sealed class HostServer : WebApplicationFactory<Program>
{
    private readonly TempDirectory _storage = new();
    private readonly Dictionary<string, string?> _settings;

    public HostServer(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Pipeline:Storage:Directory"] = _storage.Path,
            ["Pipeline:Throttle:Limit"] = "1000",
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

        UseKestrel(0);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0").ConfigureAppConfiguration(c => c.AddInMemoryCollection(_settings));
        builder.ConfigureLogging(logging => logging.AddFakeLogging());
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
