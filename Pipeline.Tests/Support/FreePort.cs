using System.Net;
using System.Net.Sockets;

namespace Pipeline.Tests.Support;

internal static class FreePort
{
    /// <summary>A loopback port free right now, for a process that binds it itself.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
