using System.Collections.Immutable;

namespace Pipeline.Sandbox;

/// <summary>One request a fake upstream served.</summary>
/// <param name="Upstream">The lane: spotify, deezer, lastfm, anthropic, openai.</param>
/// <param name="Path">Path and query, secrets removed.</param>
/// <param name="Status">HTTP status sent.</param>
/// <param name="At">When the request arrived.</param>
/// <param name="Finished">When its handler returned (for a stream: when the stream began).</param>
public sealed record SandboxRequest(string Upstream, string Path, int Status, DateTimeOffset At, DateTimeOffset Finished);

/// <summary>Every request the sandbox served, bounded, oldest dropped first: the outside view of upstream traffic.</summary>
internal sealed class SandboxRequestLog(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<SandboxRequest> _requests = new();

    public void Add(SandboxRequest request)
    {
        lock (_lock)
        {
            if (_requests.Count == capacity)
            {
                _requests.Dequeue();
            }

            _requests.Enqueue(request);
        }
    }

    public ImmutableArray<SandboxRequest> Snapshot(string? upstream = null)
    {
        lock (_lock)
        {
            return [.. _requests.Where(r => upstream is null || r.Upstream == upstream)];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _requests.Clear();
        }
    }
}
