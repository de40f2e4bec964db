using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeline.Host.Security;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

[Collection(nameof(SerialTests))]
public sealed class ManagementFilterTests
{
    private const string Token = "alice-secret-token-1";

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    public async Task Management_TokensSetAndNoListenerOfItsOwn_NeedsAToken(string path)
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Auth:Tokens:alice"] = Token });
        using var http = host.CreateClient();

        using var anonymous = await http.GetAsync(new Uri(path, UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        using var authorized = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode); // health stays open for load balancers
    }

    [Theory]
    [InlineData(9464, true)]
    [InlineData(9465, true)]
    [InlineData(5080, false)]
    public async Task Management_ItsOwnListener_AnsweredThereOnlyWithoutAToken(int localPort, bool answered)
    {
        var auth = Options.Create(new AuthOptions { Tokens = { ["alice"] = Token } });
        var filter = new ManagementFilter(Options.Create(new ManagementOptions { Urls = "http://127.0.0.1:9464; http://127.0.0.1:9465" }), new BearerTokenFilter(auth));
        var http = new DefaultHttpContext();
        http.Connection.LocalPort = localPort;

        var result = await filter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => ValueTask.FromResult<object?>("answered"));

        if (answered)
        {
            Assert.Equal("answered", result);
        }
        else
        {
            Assert.IsType<NotFound>(result);
        }
    }
}
