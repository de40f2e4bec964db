using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Sandbox;

namespace Pipeline.Tests.Sandbox;

/// <summary>Who the sandbox answers: callers on this machine; others only when <c>Pipeline:Sandbox:AllowRemote</c> says so.</summary>
public sealed class SandboxEndpointsTests
{
    private static async Task<object?> CallFrom(string remote, string local, bool allowRemote)
    {
        var services = new ServiceCollection();
        services.AddOptions<SandboxOptions>().Configure(o => o.AllowRemote = allowRemote);
        await using var provider = services.BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = provider };
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        http.Connection.LocalIpAddress = IPAddress.Parse(local);

        return await SandboxEndpointRouteBuilderExtensions.SameMachineOnly(new DefaultEndpointFilterInvocationContext(http), _ => ValueTask.FromResult<object?>("answered"));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("127.0.0.2", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("192.168.1.5", "192.168.1.5")] // the host calling its own non-loopback address
    public async Task Filter_ACallerOnThisMachine_Answered(string remote, string local) =>
        Assert.Equal("answered", await CallFrom(remote, local, allowRemote: false));

    [Fact]
    public async Task Filter_ACallerElsewhere_NotFoundAsIfThereWereNoSandbox() =>
        Assert.IsType<NotFound>(await CallFrom("203.0.113.5", "192.168.1.5", allowRemote: false));

    [Fact]
    public async Task Filter_ACallerElsewhereWithAllowRemote_Answered() =>
        Assert.Equal("answered", await CallFrom("203.0.113.5", "192.168.1.5", allowRemote: true));
}
