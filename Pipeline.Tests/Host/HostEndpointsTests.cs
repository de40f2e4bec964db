using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Pipeline.Tests.Host;

public sealed class HostEndpointsTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task HealthLive_Running_Ok()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Throttle_Default_ReportsTheConfiguredLimitAndLanes()
    {
        using var client = factory.CreateClient();

        var snapshot = await client.GetFromJsonAsync<JsonElement>(new Uri("/v1/throttle", UriKind.Relative));

        Assert.Equal("SlidingWindow", snapshot.GetProperty("policy").GetString());
        Assert.Equal(40, snapshot.GetProperty("limit").GetInt32());
        Assert.Equal(40, snapshot.GetProperty("configuredRate").GetDouble());
        var lanes = snapshot.GetProperty("lanes").EnumerateArray().ToDictionary(l => l.GetProperty("lane").GetString()!, l => l.GetProperty("limit").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["anthropic"] = 2, ["deezer"] = 3, ["lastfm"] = 3, ["openai"] = 3, ["spotify"] = 5 }, lanes); // as in config/pipeline.json
    }
}
