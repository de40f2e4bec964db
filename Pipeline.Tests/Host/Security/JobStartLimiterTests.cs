using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

[Collection(nameof(SerialTests))]
public sealed class JobStartLimiterTests
{
    private const string Alice = "alice-secret-token-1", Bob = "bob-secret-token-22";

    private static async Task<HttpStatusCode> StartAsync(HttpClient http, string token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Start_InvalidBodiesThenValidOnes_OnlyValidStartsCountEachClientItsOwnMinute()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Auth:Tokens:alice"] = Alice,
            ["Pipeline:Auth:Tokens:bob"] = Bob,
            ["Pipeline:Admission:JobsPerClientPerMinute"] = "2",
        });
        using var http = host.CreateClient();
        var house = new { prompt = "house", trackCount = 3 };

        var invalid = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            invalid.Add(await StartAsync(http, Alice, new { prompt = "", trackCount = 3 }));
        }

        List<HttpStatusCode> alice = [await StartAsync(http, Alice, house), await StartAsync(http, Alice, house), await StartAsync(http, Alice, house)];
        var bob = await StartAsync(http, Bob, house);

        Assert.All(invalid, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], alice);
        Assert.Equal(HttpStatusCode.Accepted, bob);
    }
}
