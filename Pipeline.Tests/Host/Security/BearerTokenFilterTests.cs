using System.Net;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

[Collection(nameof(SerialTests))]
public sealed class BearerTokenFilterTests(BearerTokenFilterTests.TokenHost host) : IClassFixture<BearerTokenFilterTests.TokenHost>
{
    private const string Token = "alice-secret-token-1";

    // The header's bytes exactly as given (HttpClient would normalize them), in UTF-8, over a raw connection.
    private async Task<HttpStatusCode> ThrottleWith(string authorization) =>
        (await RawHttp.SendAsync(host.Server.CreateClient().BaseAddress!, $"GET /v1/throttle HTTP/1.1\r\nAuthorization: {authorization}")).Status;

    [Theory]
    [InlineData("Bearer " + Token)]
    [InlineData("bearer " + Token)] // the scheme is case-insensitive (RFC 9110)
    [InlineData("BEARER " + Token)]
    public async Task Invoke_TheTokenAfterTheSchemeAndOneSpace_Authenticated(string authorization) =>
        Assert.Equal(HttpStatusCode.OK, await ThrottleWith(authorization));

    [Theory]
    [InlineData("Bearer  " + Token)] // two spaces
    [InlineData("Bearer \t" + Token)]
    [InlineData("Bearer \u3000")]
    [InlineData("Bearer \u00a0")]
    [InlineData("Bearer \u2003" + Token)]
    [InlineData("Bearer ")]
    [InlineData("Basic " + Token)]
    [InlineData(Token)]
    public async Task Invoke_AnyOtherForm_401(string authorization) =>
        Assert.Equal(HttpStatusCode.Unauthorized, await ThrottleWith(authorization));

    /// <summary>One host with one token for every case.</summary>
    public sealed class TokenHost : IDisposable
    {
        internal HostServer Server { get; } = new(new Dictionary<string, string?> { ["Pipeline:Auth:Tokens:alice"] = Token });

        public void Dispose() => Server.Dispose();
    }
}
