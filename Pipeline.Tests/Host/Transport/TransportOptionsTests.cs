using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Host;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Transport;

public sealed class TransportOptionsTests
{
    [Fact]
    public void Host_Default_KestrelQueuesSocketWork()
    {
        using var host = new HostServer();

        Assert.False(host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public void Host_InlineSchedulingOn_KestrelSchedulesSocketWorkInline()
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Transport:InlineScheduling"] = "true" });

        Assert.True(host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public void Build_InlineSchedulingNotABoolean_ThrowsNamingTheKey()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Pipeline:Transport:InlineScheduling"] = "sometimes" });
        builder.UsePipelineDefaults();

        var thrown = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.Contains("Pipeline:Transport:InlineScheduling", thrown.Message, StringComparison.Ordinal);
    }
}
