using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Pipeline.Throttling;
using StackExchange.Redis;

namespace Pipeline.Redis.Throttling;

/// <summary>
/// The hosts' lane slots in Redis. Each slot held is a member of the lane's sorted set, scored with its lease's expiry
/// in µs of Redis's clock; one script prunes expired leases and adds a lease while the set holds fewer than the
/// smallest limit any live host holds, else answers when the first lease expires. A host renews all it holds every
/// third of the lease time, in one call a lane, and gives a slot back with <c>ZREM</c> and a message on the cluster's
/// <c>lanes</c> channel that wakes the hosts waiting for it: no polling, and a host killed with kill -9 frees its slots
/// when their leases expire. While Redis does not answer, a host holds at most <c>limit / ExpectedHosts</c> slots of a
/// lane, and enters those it took alone into the set when Redis is back. Pauses travel on the same channel.
/// </summary>
internal sealed class RedisLaneSlots : ISharedLanes, IDisposable
{
    // KEYS[1] the lane's leases (sorted set: member → expiry µs), KEYS[2] the hosts' limits.
    // ARGV: member, limit, host, lease µs. Answers {1, 0, expired} when taken, else {0, µs until a lease expires, expired}.
    private const string TakeScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit, host, lease = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
        local limits = KEYS[2]
        """ + "\n" + LiveLimit.Lua + "\n" + """
        local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) < limit then
          redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
          redis.call('PEXPIRE', KEYS[1], math.floor(lease / 1000) + 1000)
          return {1, 0, expired}
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return {0, tonumber(first[2]) - now, expired}
        """;

    // KEYS[1] the lane's leases. ARGV: lease µs, then the members this host holds. A member not there (taken while
    // Redis was away, or expired while this host stalled) is entered: the call it stands for is running.
    private const string RenewScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        for i = 2, #ARGV do
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
        end
        redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[1]) / 1000) + 1000)
        return 0
        """;

    // KEYS[1] the lane's leases. ARGV: member, channel, message.
    private const string ReleaseScript = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          redis.call('PUBLISH', ARGV[2], ARGV[3])
        end
        return 0
        """;

    private readonly ConcurrentDictionary<string, LaneLeases> _lanes = new(StringComparer.OrdinalIgnoreCase);
    private readonly RedisCluster _cluster;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ClusterMetrics _metrics;
    private readonly RedisChannel _channel;
    private readonly ITimer _renewal;
    private long _slots;
    private int _subscribed;

    public RedisLaneSlots(RedisCluster cluster, IOptions<ClusterOptions> options, TimeProvider time, ClusterMetrics metrics)
    {
        _cluster = cluster;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _channel = cluster.Channel("lanes");
        cluster.Restored += Restored;
        Subscribe();
        var every = _options.LeaseTime / 3;
        _renewal = time.CreateTimer(_ => Renew(), null, every, every);
    }

    public event Action<string, TimeSpan>? Paused;

    public async ValueTask<IDisposable> TakeSlotAsync(string lane, int limit, CancellationToken cancellationToken)
    {
        var leases = _lanes.TryGetValue(lane, out var known) ? known : _lanes.GetOrAdd(lane, static (name, metrics) =>
        {
            metrics.Renewed(name, 0); // its series from the start: zero, not missing
            return new LaneLeases(name);
        }, _metrics);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = leases.Changed; // read before trying: a slot given back while the script runs wakes this wait
            var member = $"{_cluster.HostId}:{Interlocked.Increment(ref _slots).ToString(CultureInfo.InvariantCulture)}";
            TimeSpan? retryIn = null;
            var started = _time.GetTimestamp();
            try
            {
                var answer = (RedisResult[])(await _cluster.Database.ScriptEvaluateAsync(
                    TakeScript,
                    [Leases(lane), _cluster.Key("lane", lane.ToLowerInvariant(), "limits")],
                    [member, limit, _cluster.HostId, RedisCluster.Micros(_options.LeaseTime)]).WaitAsync(cancellationToken))!;
                _metrics.RoundTrip("slot", _time.GetElapsedTime(started));
                _metrics.Expired(lane, (long)answer[2]);
                if ((long)answer[0] == 1)
                {
                    leases.Hold(member);
                    return new Slot(this, leases, member);
                }

                retryIn = TimeSpan.FromMicroseconds((long)answer[1]);
            }
            catch (OperationCanceledException)
            {
                Forget(lane, member); // the script may have run: its lease must not wait out its expiry
                throw;
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                // Redis does not answer: this host's share of the lane, counting what it already holds.
                if (leases.TryHold(member, Math.Max(1, limit / _options.ExpectedHosts)))
                {
                    return new Slot(this, leases, member);
                }
            }

            try
            {
                await (retryIn is { } wait ? changed.WaitAsync(wait, _time, cancellationToken) : changed.WaitAsync(cancellationToken));
            }
            catch (TimeoutException)
            {
                // the first lease is due to expire: try again
            }
        }
    }

    public void Pause(string lane, TimeSpan retryAfter)
    {
        if (_cluster.IsConnected)
        {
            var message = string.Join('\n', "paused", lane, ((long)retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), _cluster.HostId);
            _ = _cluster.Subscriber.PublishAsync(_channel, message, CommandFlags.FireAndForget);
        }
    }

    public void Dispose()
    {
        _cluster.Restored -= Restored;
        _renewal.Dispose();
    }

    private RedisKey Leases(string lane) => _cluster.Key("lane", lane.ToLowerInvariant(), "slots");

    private void Release(LaneLeases leases, string member)
    {
        lock (leases.Sync)
        {
            // Under the lane's lock, as the renewal reads what to renew: the ZREM goes after any renewal naming the member.
            leases.Drop(member);
            Forget(leases.Lane, member);
        }

        leases.Wake();
    }

    private void Forget(string lane, string member)
    {
        if (_cluster.IsConnected)
        {
            _ = _cluster.Database.ScriptEvaluateAsync(ReleaseScript, [Leases(lane)], [member, _channel.ToString(), "released\n" + lane], CommandFlags.FireAndForget);
        }
    }

    // Every lease this host holds is renewed, the ones it took while Redis was away entered: they count from now on.
    private void Renew()
    {
        if (!_cluster.IsConnected)
        {
            return;
        }

        foreach (var leases in _lanes.Values)
        {
            lock (leases.Sync)
            {
                var members = leases.Members();
                if (members.Length == 0)
                {
                    continue;
                }

                _ = _cluster.Database.ScriptEvaluateAsync(RenewScript, [Leases(leases.Lane)], [RedisCluster.Micros(_options.LeaseTime), .. members.Select(m => (RedisValue)m)], CommandFlags.FireAndForget);
                _metrics.Renewed(leases.Lane, members.Length);
            }
        }
    }

    private void Subscribe()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 1)
        {
            return;
        }

        try
        {
            _cluster.Subscriber.Subscribe(_channel, (_, message) => Received(message!));
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            Volatile.Write(ref _subscribed, 0); // Redis not there yet: subscribed when it is
        }
    }

    private void Received(string message)
    {
        var parts = message.Split('\n');
        switch (parts)
        {
            case ["released", var lane]:
                if (_lanes.TryGetValue(lane, out var leases))
                {
                    leases.Wake();
                }

                break;
            case ["paused", var lane, var ms, var host] when host != _cluster.HostId && long.TryParse(ms, CultureInfo.InvariantCulture, out var millis):
                Paused?.Invoke(lane, TimeSpan.FromMilliseconds(millis));
                break;
        }
    }

    // Redis is back: the waiters try it again, and the renewal enters the slots taken alone.
    private void Restored()
    {
        Subscribe();
        Renew();
        foreach (var leases in _lanes.Values)
        {
            leases.Wake();
        }
    }


    /// <summary>The slots this host holds of one lane, and the signal its waiters wait on.</summary>
    private sealed class LaneLeases(string lane)
    {
        private readonly HashSet<string> _held = new(StringComparer.Ordinal);
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Lane { get; } = lane;

        /// <summary>Guards what this host holds, and orders a renewal's call against a release's.</summary>
        public Lock Sync { get; } = new();

        public Task Changed
        {
            get
            {
                lock (Sync)
                {
                    return _changed.Task;
                }
            }
        }

        public void Hold(string member)
        {
            lock (Sync)
            {
                _held.Add(member);
            }
        }

        /// <summary>Holds <paramref name="member"/> if this host holds fewer than <paramref name="share"/>.</summary>
        public bool TryHold(string member, int share)
        {
            lock (Sync)
            {
                return _held.Count < share && _held.Add(member);
            }
        }

        public void Drop(string member) => _held.Remove(member);

        public string[] Members() => [.. _held];

        public void Wake()
        {
            TaskCompletionSource woken;
            lock (Sync)
            {
                woken = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            woken.TrySetResult();
        }
    }

    /// <summary>One slot held; disposing gives it back once.</summary>
    private sealed class Slot(RedisLaneSlots owner, LaneLeases leases, string member) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(leases, member);
            }
        }
    }
}
