using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pipeline.Throttling;
using StackExchange.Redis;

namespace Pipeline.Redis.Throttling;

/// <summary>
/// The hosts' starts of each rate in Redis: one script keeps the last <c>limit</c> starts in a sorted set, scored in
/// microseconds of Redis's own clock (<c>TIME</c>, never a host's), and answers a request for <c>count</c> starts with
/// each one's delay: none while the window has room, else until the start <c>limit</c> places back is a window old,
/// and at least the spacing after the newest. The limit applied is the smallest any host renewed within the lease
/// time, so a live reload that lowers it holds on every host at once. One round trip per request. A start that left
/// late is moved to its real time (<c>ZADD XX GT</c>, not waited for), so the starts reserved after it count from then.
/// </summary>
internal sealed class RedisStartReservations : IStartReservations
{
    // KEYS[1] the starts (sorted set: score = start in µs, member unique), KEYS[2] the hosts' limits (hash: host → "limit:seen µs").
    // ARGV: count, limit, window µs, spacing µs, host, lease µs, request id, then starts made apart (µs since the epoch).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local count, limit, window, spacing = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local host, lease, request = ARGV[5], tonumber(ARGV[6]), ARGV[7]
        local limits = KEYS[2]
        """ + "\n" + LiveLimit.Lua + "\n" + """
        for i = 8, #ARGV do
          redis.call('ZADD', KEYS[1], tonumber(ARGV[i]), host .. ':' .. request .. ':apart:' .. i)
        end
        -- Only what the new starts are checked against is read: the newest start, and the ones `limit` places back
        -- from each new start (ranks n - limit + 1 on, 1-based), so a call costs O(count), not O(limit).
        local n = redis.call('ZCARD', KEYS[1])
        local newest = nil
        if n > 0 then newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]) end
        local from = n - limit + 1
        local back = {}
        local lo, hi = math.max(from, 1), math.min(from + count - 1, n)
        if lo <= hi then
          local read = redis.call('ZRANGE', KEYS[1], lo - 1, hi - 1, 'WITHSCORES')
          for i = 2, #read, 2 do back[lo + i / 2 - 1] = tonumber(read[i]) end
        end
        local delays = {}
        for k = 1, count do
          local at = now
          if newest then at = math.max(at, newest + spacing) end
          local index = from + k - 1
          if index >= 1 then
            local past = index <= n and back[index] or delays[index - n]
            at = math.max(at, past + window)
          end
          redis.call('ZADD', KEYS[1], at, host .. ':' .. request .. ':' .. k)
          delays[k] = at
          newest = at
        end
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
        redis.call('PEXPIRE', KEYS[1], math.floor((window + lease) / 1000) + 1000)
        table.insert(delays, 1, now)
        return delays
        """;

    // KEYS[1] the starts, KEYS[2] the hosts' limits. ARGV: window µs, lease µs. Answers {starts in the last window, smallest live limit}.
    private const string RateScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local window, lease, limits = tonumber(ARGV[1]), tonumber(ARGV[2]), KEYS[2]
        local count = redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), now)
        local limit = math.huge
        """ + "\n" + LiveLimit.Smallest + "\n" + """
        if limit == math.huge then limit = 0 end
        return {count, limit}
        """;

    private readonly ConcurrentDictionary<string, TimeSpan> _windows = new(StringComparer.Ordinal);
    private RateRead? _read; // the last read, for both gauges of one scrape
    private readonly RedisCluster _cluster;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ClusterMetrics _metrics;
    private long _requests;

    public RedisStartReservations(RedisCluster cluster, IOptions<ClusterOptions> options, TimeProvider time, ClusterMetrics metrics)
    {
        (_cluster, _options, _time, _metrics) = (cluster, options.Value, time, metrics);
        metrics.ObserveRate(Rates);
    }

    public int Hosts => _options.ExpectedHosts;

    public async ValueTask<ReservedStarts> ReserveAsync(string name, int count, int limit, TimeSpan window, TimeSpan spacing, IReadOnlyList<DateTimeOffset> madeApart, CancellationToken cancellationToken)
    {
        _windows[name] = window;
        var request = Interlocked.Increment(ref _requests); // names this request's starts in the set
        RedisValue[] args =
        [
            count, limit, RedisCluster.Micros(window), RedisCluster.Micros(spacing), _cluster.HostId, RedisCluster.Micros(_options.LeaseTime),
            request, .. madeApart.Select(m => (RedisValue)RedisCluster.Micros(m - DateTimeOffset.UnixEpoch)),
        ];
        var started = _time.GetTimestamp();
        var answer = (RedisResult[])(await _cluster.Database.ScriptEvaluateAsync(Script, [Starts(name), Limits(name)], args).WaitAsync(cancellationToken))!;
        _metrics.RoundTrip("rate", _time.GetElapsedTime(started));
        var now = (long)answer[0];
        return new ReservedStarts(
            DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(now),
            [.. answer.Skip(1).Select((at, i) => new ReservedStart(TimeSpan.FromMicroseconds((long)at - now), new Start($"{_cluster.HostId}:{request}:{i + 1}", (long)at)))]);
    }

    public void Restamp(string name, ReservedStart start, TimeSpan late)
    {
        if (start.Token is Start reserved && _cluster.IsConnected)
        {
            _ = _cluster.Database.SortedSetAddAsync(Starts(name), reserved.Member, reserved.At + RedisCluster.Micros(late), SortedSetWhen.Exists | SortedSetWhen.GreaterThan, CommandFlags.FireAndForget);
        }
    }

    private RedisKey Starts(string name) => _cluster.Key("throttle", name, "starts");

    private RedisKey Limits(string name) => _cluster.Key("throttle", name, "limits");

    // Each rate this host keeps, as Redis holds it for all hosts; none while Redis does not answer. One read serves
    // both gauges of a scrape (and any scrape within the second).
    private List<(string Rate, double Achieved, double Configured)> Rates()
    {
        if (Volatile.Read(ref _read) is { } read && _time.GetElapsedTime(read.At) < TimeSpan.FromSeconds(1))
        {
            return read.Rates;
        }

        var rates = new List<(string Rate, double Achieved, double Configured)>();
        foreach (var (name, window) in _cluster.IsConnected ? _windows : [])
        {
            try
            {
                var answer = (RedisResult[])_cluster.Database.ScriptEvaluate(RateScript, [Starts(name), Limits(name)], [RedisCluster.Micros(window), RedisCluster.Micros(_options.LeaseTime)])!;
                rates.Add((name, (long)answer[0] / window.TotalSeconds, (long)answer[1] / window.TotalSeconds));
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                break;
            }
        }

        Volatile.Write(ref _read, new RateRead(_time.GetTimestamp(), rates));
        return rates;
    }

    /// <summary>The rates as read from Redis, and when.</summary>
    private sealed record RateRead(long At, List<(string Rate, double Achieved, double Configured)> Rates);

    /// <summary>A start in the sorted set: its member and the time it was reserved for, in µs of Redis's clock.</summary>
    private sealed record Start(string Member, long At);
}
