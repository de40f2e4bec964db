using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Sandbox;
using Pipeline.Sandbox.Catalog;

namespace Pipeline.Tests.Support;

/// <summary>The sandbox on real Kestrel at 127.0.0.1 on a free port, with test settings (no latency unless asked).</summary>
internal sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SandboxServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public static MusicCatalog Catalog => MusicCatalog.Shipped;

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<SandboxServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var defaults = new Dictionary<string, string?>();
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic", "OpenAi" })
        {
            defaults[$"Pipeline:Sandbox:{upstream}:MedianLatency"] = "00:00:00";
            defaults[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        defaults["Pipeline:Sandbox:LlmTokensPerSecond"] = "0";
        builder.Configuration.AddInMemoryCollection(defaults);
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSandbox();
        builder.Services.AddSingleton(Catalog);
        var app = builder.Build();
        app.UseSandbox();
        app.MapSandbox();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SandboxServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
