using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Configuration;

namespace Pipeline.Sandbox.Faults;

/// <summary>
/// Decides, per request and upstream, the latency to wait and whether to serve, refuse for quota, fail or malform;
/// quotas are sliding windows of arrivals, as the real services count them. Knobs follow configuration live.
/// </summary>
/// <remarks>
/// Each request's dice come from a hash of the seed, the upstream, the request and how many times that request came
/// before: a request draws the same whether it comes alone or among others (so a job alone and the same job beside
/// another meet the same latencies), and its repeat, a retry, draws anew.
/// </remarks>
internal sealed class SandboxGate(ReloadableOptions<SandboxOptions> options, TimeProvider time)
{
    private const int RememberedRequests = 65_536; // past this many distinct requests, repeat counts start over

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _arrivals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

    public SandboxOptions Options => options.Current;

    /// <summary>Waits the upstream's latency and returns the verdict; for <see cref="SandboxVerdict.OverQuota"/> also when the quota frees.</summary>
    /// <param name="upstream">The upstream's name.</param>
    /// <param name="request">What identifies the request, such as its path and query.</param>
    /// <param name="behaviour">The upstream's configured behaviour.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<(SandboxVerdict Verdict, TimeSpan RetryAfter)> EnterAsync(string upstream, string request, UpstreamBehaviour behaviour, CancellationToken cancellationToken)
    {
        var (verdict, retryAfter, latency) = Decide(upstream, request, behaviour);
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, cancellationToken);
        }

        return (verdict, retryAfter);
    }

    /// <summary>What identifies an HTTP request to the dice: its path and query.</summary>
    public static string KeyOf(HttpRequest request) => string.Concat(request.Path.Value, request.QueryString.Value);

    /// <summary>The next draw of the dice for a request: four values in [0, 1).</summary>
    internal RequestDice Roll(string upstream, string request)
    {
        int repeat;
        lock (_lock)
        {
            repeat = RollCount(upstream + " " + request);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{Options.Seed}\n{upstream}\n{request}\n{repeat}"), hash);
        return new RequestDice(Unit(hash[..8]), Unit(hash[8..16]), Unit(hash[16..24]), Unit(hash[24..]));

        static double Unit(ReadOnlySpan<byte> bytes) => (BinaryPrimitives.ReadUInt64LittleEndian(bytes) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Log-normal: the median and 95th percentile set mu and sigma.</summary>
    internal static TimeSpan Latency(UpstreamBehaviour behaviour, RequestDice dice)
    {
        if (behaviour.MedianLatency <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var sigma = behaviour.P95Latency > behaviour.MedianLatency ? Math.Log(behaviour.P95Latency / behaviour.MedianLatency) / 1.645 : 0;
        var normal = Math.Sqrt(-2 * Math.Log(1 - dice.First)) * Math.Cos(2 * Math.PI * dice.Second);
        return behaviour.MedianLatency * Math.Exp(sigma * normal);
    }

    private int RollCount(string key)
    {
        if (_seen.Count >= RememberedRequests)
        {
            _seen.Clear();
        }

        return CollectionsMarshal.GetValueRefOrAddDefault(_seen, key, out _)++;
    }

    private (SandboxVerdict, TimeSpan, TimeSpan) Decide(string upstream, string request, UpstreamBehaviour behaviour)
    {
        var dice = Roll(upstream, request);
        var latency = Latency(behaviour, dice);
        if (behaviour.QuotaLimit > 0)
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                var window = (long)(behaviour.QuotaWindow.TotalSeconds * time.TimestampFrequency);
                if (!_arrivals.TryGetValue(upstream, out var arrivals))
                {
                    _arrivals[upstream] = arrivals = new Queue<long>();
                }

                while (arrivals.TryPeek(out var oldest) && now - oldest >= window)
                {
                    arrivals.Dequeue();
                }

                if (arrivals.Count >= behaviour.QuotaLimit)
                {
                    var frees = TimeSpan.FromSeconds((arrivals.Peek() + window - now) / (double)time.TimestampFrequency);
                    return (SandboxVerdict.OverQuota, frees, latency);
                }

                arrivals.Enqueue(now);
            }
        }

        if (dice.Third < behaviour.ErrorRate)
        {
            return (SandboxVerdict.Fail, TimeSpan.Zero, latency);
        }

        return (dice.Fourth < behaviour.MalformedRate ? SandboxVerdict.Malform : SandboxVerdict.Serve, TimeSpan.Zero, latency);
    }
}
