using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>A stream for <paramref name="client"/>, held until the lease is disposed; null when it has its most open.</summary>
    public IDisposable? TryOpen(string client)
    {
        if (!auth.Value.Enabled)
        {
            return Lease.Unbounded;
        }

        var limit = admission.Value.MaxStreamsPerClient;
        while (true)
        {
            var open = _open.GetValueOrDefault(client);
            if (open >= limit)
            {
                return null;
            }

            if (open == 0 ? _open.TryAdd(client, 1) : _open.TryUpdate(client, open + 1, open))
            {
                return new Lease(this, client);
            }
        }
    }

    private void Close(string client)
    {
        if (_open.AddOrUpdate(client, 0, static (_, open) => open - 1) == 0)
        {
            _open.TryRemove(new KeyValuePair<string, int>(client, 0)); // unless another opened meanwhile
        }
    }

    private sealed class Lease(ClientStreams? owner, string client) : IDisposable
    {
        public static readonly Lease Unbounded = new(null, "");

        private int _disposed;

        public void Dispose()
        {
            if (owner is not null && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Close(client);
            }
        }
    }
}
