using System.Net;
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
}
