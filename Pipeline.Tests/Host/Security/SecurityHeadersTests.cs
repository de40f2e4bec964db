using Pipeline.Host.Security;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

[Collection(nameof(SerialTests))]
public sealed class SecurityHeadersTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/v1/jobs/0123456789abcdef0123456789abcdef")]
    public async Task Answer_AnyPath_CarriesThePolicyAndNoFramingOrSniffing(string path)
    {
        using var host = new HostServer();
        using var http = host.CreateClient();

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(SecurityHeadersApplicationBuilderExtensions.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("frame-ancestors 'none'", SecurityHeadersApplicationBuilderExtensions.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }
}
