using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;

namespace Pipeline.Host.Security;

/// <summary>
/// Event streams open per client, each client at most <c>Pipeline:Admission:MaxStreamsPerClient</c>, so no one token
/// can take every connection the host has. With the API open (loopback only) there is one client, bounded by the
/// host's connection limit alone.
/// </summary>
internal sealed class ClientStreams(IOptions<AdmissionOptions> admission, IOptions<AuthOptions> auth)
{
    private readonly ClientCounts _open = new();

    /// <summary>A stream for <paramref name="client"/>, held until the lease is disposed; null when it has its most open.</summary>
    public IDisposable? TryOpen(string client)
    {
        if (!auth.Value.Enabled)
        {
            return Lease.Unbounded;
        }

        return _open.TryTake(client, admission.Value.MaxStreamsPerClient) ? new Lease(_open, client) : null;
    }

    private sealed class Lease(ClientCounts? counts, string client) : IDisposable
    {
        public static readonly Lease Unbounded = new(null, "");

        private int _disposed;

        public void Dispose()
        {
            if (counts is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                counts.Return(client);
            }
        }
    }
}
