using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Sandbox;

/// <summary>The sandbox's address: this host's own first listening address, known once Kestrel has started.</summary>
internal sealed class KestrelSandboxAddress(IServer server) : ISandboxAddress
{
    public Uri BaseAddress
    {
        get
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("The host is not listening yet, so the sandbox has no address.");
            // A wildcard bind (0.0.0.0, [::], +, *) is reached on loopback.
            var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
            {
                uri.Host = "127.0.0.1";
            }

            uri.Path = "/sandbox/";
            return uri.Uri;
        }
    }
}
