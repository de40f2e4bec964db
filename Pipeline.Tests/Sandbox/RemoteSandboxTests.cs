using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox;

/// <summary>A host pointed at a sandbox running elsewhere (<c>Pipeline:Upstreams:SandboxUrl</c>) calls it, and maps none of its own.</summary>
[Collection(nameof(SerialTests))]
public sealed class RemoteSandboxTests
{
    [Fact]
    public async Task SandboxUrl_JobCallsTheSandboxElsewhere_HostMapsNoSandbox()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Upstreams:SandboxUrl"] = sandbox.BaseAddress.ToString() });
        using var http = host.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "disco", trackCount = 3 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStringAsync().Within();
        using var ownSandbox = await http.GetAsync("/sandbox/requests");

        Assert.Contains("event: job.completed", stream, StringComparison.Ordinal);
        var served = sandbox.Services.GetRequiredService<SandboxRequestLog>();
        Assert.NotEmpty(served.Snapshot("spotify"));
        Assert.NotEmpty(served.Snapshot("anthropic"));
        Assert.Equal(HttpStatusCode.NotFound, ownSandbox.StatusCode);
    }
}
