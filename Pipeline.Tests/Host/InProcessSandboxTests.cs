using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Pipeline.Host;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host;

[Collection(nameof(SerialTests))]
public sealed class InProcessSandboxTests
{
    [Fact]
    public async Task Sandbox_OfflineDefault_ServedByTheHost()
    {
        using var host = new HostServer();
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/sandbox/requests", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Sandbox_EveryUpstreamReal_NoSandboxRoutes()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Upstreams:Mode"] = "Real",
            ["Pipeline:Upstreams:Spotify:ClientId"] = "a-client-id",
            ["Pipeline:Upstreams:Spotify:ClientSecret"] = "a-client-secret",
            ["Pipeline:Upstreams:LastFm:ApiKey"] = "a-lastfm-key",
            ["Pipeline:Llm:Anthropic:ApiKey"] = "a-model-key",
        });
        using var http = host.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/sandbox/requests", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri("/sandbox/spotify-accounts/expire", UriKind.Relative), null)).StatusCode);
    }

    [Theory]
    [InlineData("Auto", "spotify,lastfm,model", false)]
    [InlineData("Auto", "spotify,lastfm", true)] // the model still calls the sandbox
    [InlineData("Auto", "", true)]
    [InlineData("Sandbox", "spotify,lastfm,model", true)]
    [InlineData("Real", "spotify,lastfm,model", false)]
    public void AddInProcessSandbox_ServedOnlyWhileSomeClientCallsIt(string mode, string keys, bool served)
    {
        var settings = new Dictionary<string, string?> { ["Pipeline:Upstreams:Mode"] = mode };
        foreach (var key in keys.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = key switch
            {
                "spotify" => ("Pipeline:Upstreams:Spotify:ClientId", "a-client-id"),
                "lastfm" => ("Pipeline:Upstreams:LastFm:ApiKey", "a-lastfm-key"),
                _ => ("Pipeline:Llm:Anthropic:ApiKey", "a-model-key"),
            };
            settings[name] = value;
        }

        if (keys.Contains("spotify", StringComparison.Ordinal))
        {
            settings["Pipeline:Upstreams:Spotify:ClientSecret"] = "a-client-secret";
        }

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);

        builder.AddInProcessSandbox();

        Assert.Equal(served, builder.Services.Any(d => d.ServiceType == typeof(SandboxRequestLog)));
    }
}
