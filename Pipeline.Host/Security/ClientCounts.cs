using System.Collections.Concurrent;

namespace Pipeline.Host.Security;

/// <summary>How many of something each client holds (jobs, streams), each taken only below the client's bound.</summary>
internal sealed class ClientCounts
{
    private readonly ConcurrentDictionary<string, int> _held = new(StringComparer.Ordinal);

    /// <summary>Takes one for <paramref name="client"/> when it holds fewer than <paramref name="limit"/>; false at the bound.</summary>
    public bool TryTake(string client, int limit)
    {
        while (true)
        {
            var held = _held.GetValueOrDefault(client);
            if (held >= limit)
            {
                return false;
            }

            if (held == 0 ? _held.TryAdd(client, 1) : _held.TryUpdate(client, held + 1, held))
            {
                return true;
            }
        }
    }

    /// <summary>Takes one for <paramref name="client"/> whatever its bound (one it held before a restart).</summary>
    public void Take(string client) => _held.AddOrUpdate(client, 1, static (_, held) => held + 1);

    /// <summary>Gives one back; a client that holds none is forgotten.</summary>
    public void Return(string client)
    {
        if (_held.AddOrUpdate(client, 0, static (_, held) => held - 1) == 0)
        {
            _held.TryRemove(new KeyValuePair<string, int>(client, 0)); // unless another took one meanwhile
        }
    }
}
