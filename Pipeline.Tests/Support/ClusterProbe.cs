using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Pipeline.Tests.Support;

/// <summary>Which host of a cluster of <see cref="ChildHost"/>s runs a job, and a stream served by the host wanted. Shared by the tests and the benchmarks.</summary>
internal static class ClusterProbe
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>The host whose claim holds the job, by the process id in its name in the cluster (<c>pipeline</c>).</summary>
    public static async Task<ChildHost> OwnerAsync(string redis, string id, IReadOnlyList<ChildHost> hosts)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var started = Stopwatch.StartNew();
        while (started.Elapsed < Guard)
        {
            var owner = (string?)await connection.GetDatabase().HashGetAsync($"{{pipeline:jobs}}:job:{id}", "owner");
            if (owner is not null && hosts.FirstOrDefault(h => owner.Contains($"-{h.ProcessId.ToString(CultureInfo.InvariantCulture)}-", StringComparison.Ordinal)) is { } host)
            {
                return host;
            }

            await Task.Yield();
        }

        throw new TimeoutException($"No host claimed job {id} within {Guard.TotalSeconds:0} s.");
    }

    /// <summary>
    /// The job's event stream, opened through the balancer (round-robin, each answer naming its host in
    /// <c>X-Upstream</c>) until a host <paramref name="wanted"/> accepts serves it; the others are closed at once.
    /// </summary>
    public static async Task<(HttpResponseMessage Stream, ChildHost Serving)> OpenServedByAsync(HttpClient balancer, string id, IReadOnlyList<ChildHost> hosts, Func<ChildHost, bool> wanted)
    {
        for (var attempt = 0; attempt < 4 * hosts.Count; attempt++)
        {
            var stream = await balancer.GetAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            var port = stream.Headers.GetValues("X-Upstream").Single().Split(':')[1];
            var by = hosts.Single(h => h.Address.Port.ToString(CultureInfo.InvariantCulture) == port);
            if (wanted(by))
            {
                return (stream, by);
            }

            stream.Dispose();
        }

        throw new InvalidOperationException("The balancer did not route a stream to the host wanted.");
    }
}
