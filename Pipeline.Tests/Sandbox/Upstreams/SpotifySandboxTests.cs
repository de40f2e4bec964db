using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Pipeline.Sandbox.Upstreams;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox.Upstreams;

public sealed class SpotifySandboxTests
{
    private static readonly FormCollection Grant = new(new Dictionary<string, StringValues> { ["grant_type"] = "client_credentials" });

    private static string Issue(SpotifySandbox spotify)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("id:secret"));
        var reply = Assert.IsType<ContentHttpResult>(spotify.Token(http.Request, Grant));
        return JsonDocument.Parse(reply.ResponseContent!).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<int?> FeaturesStatus(SpotifySandbox spotify, string token)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + token;
        http.Request.QueryString = new QueryString("?ids=x");
        return ((IStatusCodeHttpResult)await spotify.AudioFeaturesAsync(http.Request, CancellationToken.None)).StatusCode;
    }

    [Fact]
    public async Task Token_MoreGrantsThanItKeeps_TheOldestForgottenTheNewestValid()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        var spotify = sandbox.Services.GetRequiredService<SpotifySandbox>();

        var first = Issue(spotify);
        string last = first;
        for (var i = 0; i < SpotifySandbox.TokenLimit; i++)
        {
            last = Issue(spotify);
        }

        Assert.Equal(401, await FeaturesStatus(spotify, first)); // forgotten: its holder asks for a new one
        Assert.NotEqual(401, await FeaturesStatus(spotify, last));
    }
}
