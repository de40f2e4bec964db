using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Host.Security;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

public sealed class ConnectionLimitsTests
{
    [Fact]
    public void OpenFilesLimit_ProcLimitsFormat_ReadsTheHardLimit()
    {
        using var dir = new TempDirectory();
        File.WriteAllLines(dir.File("limits"),
        [
            "Limit                     Soft Limit           Hard Limit           Units",
            "Max open files            1024                 20000                files",
        ]);

        Assert.Equal(20_000, ConnectionLimits.OpenFilesLimit(dir.File("limits")));
        Assert.Equal(18_976, ConnectionLimits.CapFor(20_000));
        Assert.Equal(64, ConnectionLimits.CapFor(100));
    }

    [Fact]
    public void Host_Started_KestrelCapsConnectionsBelowTheOpenFilesLimit()
    {
        using var host = new HostServer();

        var kestrel = host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        Assert.Equal(ConnectionLimits.CapFor(ConnectionLimits.OpenFilesLimit()!.Value), kestrel.Limits.MaxConcurrentConnections);
    }
}
