using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Pipeline.Host;

namespace Pipeline.Tests.Host;

public sealed class PipelineHostBuilderExtensionsTests
{
    private static WebApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value));
        return builder.UsePipelineDefaults();
    }

    [Theory]
    [InlineData("http://0.0.0.0:5999", "http://127.0.0.1:5999")]
    [InlineData("http://192.168.1.5:5999", "http://127.0.0.1:5999")]
    [InlineData("http://127.0.0.1:5999", "http://127.0.0.1:5999")]
    public void UsePipelineDefaults_NoTokensAndAKestrelEndpoint_HeldToLoopback(string url, string held) =>
        Assert.Equal(held, Builder(("Kestrel:Endpoints:E1:Url", url)).Configuration["Kestrel:Endpoints:E1:Url"]);

    [Fact]
    public void UsePipelineDefaults_TokensSet_KestrelEndpointAsConfigured() =>
        Assert.Equal("http://0.0.0.0:5999", Builder(("Kestrel:Endpoints:E1:Url", "http://0.0.0.0:5999"), ("Pipeline:Auth:Tokens:alice", "alice-secret-token-1")).Configuration["Kestrel:Endpoints:E1:Url"]);

    [Theory]
    [InlineData("http://0.0.0.0:9464", false, "http://127.0.0.1:9464")]
    [InlineData("http://+:9464", false, "http://127.0.0.1:9464")]
    [InlineData("http://0.0.0.0:9464", true, "http://0.0.0.0:9464")]
    public void UsePipelineDefaults_ManagementUrls_ListenedOnHeldToLoopbackUnlessRemoteAllowed(string url, bool remote, string listened)
    {
        var builder = Builder(("Pipeline:Auth:Tokens:alice", "alice-secret-token-1"), ("Pipeline:Management:Urls", url), ("Pipeline:Management:AllowRemote", remote ? "true" : "false"));

        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)!.Split(';');

        Assert.Equal([PipelineHostBuilderExtensions.DefaultUrl, listened], urls);
    }
}
