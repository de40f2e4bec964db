using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Pipeline.Redis;

/// <summary>
/// This host's connection to the cluster's Redis: opened at start without failing when Redis is not there yet (it keeps
/// trying in the background), its keys under <see cref="ClusterOptions.Name"/>, and a line logged when Redis goes away
/// or comes back, never one per call.
/// </summary>
internal sealed partial class RedisCluster : IDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _downSince = -1; // timestamp Redis went away; -1 while it answers
    private TimeSpan _downBefore;
    private int _down;

    public RedisCluster(IOptions<ClusterOptions> options, ILogger<RedisCluster> logger, TimeProvider time, ClusterMetrics metrics)
        : this(options, logger, NewHostId(), time)
    {
        metrics.ObserveConnection(() => IsConnected, () => FallbackTime);
    }

    /// <summary>A connection for the host <paramref name="hostId"/> (tests stand in for several hosts in one process).</summary>
    internal RedisCluster(IOptions<ClusterOptions> options, ILogger<RedisCluster> logger, string hostId, TimeProvider? time = null)
    {
        HostId = hostId;
        _time = time ?? TimeProvider.System;
        var settings = ConfigurationOptions.Parse(options.Value.Redis!);
        settings.AbortOnConnectFail = false; // Redis down at start is not fatal: the host keeps to its share until it answers
        settings.BacklogPolicy = BacklogPolicy.FailFast; // while it is down a request fails at once, not after a timeout: the share goes on meanwhile
        settings.ConnectTimeout = Math.Min(settings.ConnectTimeout, 2000);
        settings.ClientName = HostId;
        Name = options.Value.Name;
        _logger = logger;
        _connection = ConnectionMultiplexer.Connect(settings);
        _connection.ConnectionFailed += (_, e) => Changed(up: false, e.FailureType.ToString());
        _connection.ConnectionRestored += (_, _) => Changed(up: true, null);
        if (!_connection.IsConnected)
        {
            Changed(up: false, "not reachable at start");
        }
        else
        {
            LogConnected(_logger, Name);
        }
    }

    /// <summary>A host's name in the cluster: machine, process and a random part, unique across restarts and across hosts one process holds.</summary>
    public static string NewHostId() => $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>This host in the cluster.</summary>
    public string HostId { get; }

    /// <summary>The cluster's name, every key's prefix.</summary>
    public string Name { get; }

    /// <summary>Whether Redis answers now.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>How long this host has kept to its share because Redis did not answer, in all.</summary>
    public TimeSpan FallbackTime
    {
        get
        {
            lock (_lock)
            {
                return _downSince < 0 ? _downBefore : _downBefore + _time.GetElapsedTime(_downSince);
            }
        }
    }

    /// <summary>How long Redis has not answered, or null while it does.</summary>
    public TimeSpan? DownFor
    {
        get
        {
            lock (_lock)
            {
                return _downSince < 0 ? null : _time.GetElapsedTime(_downSince);
            }
        }
    }

    /// <summary>The database.</summary>
    public IDatabase Database => _connection.GetDatabase();

    /// <summary>The connection itself, for the pieces that take one (the shared cache).</summary>
    public IConnectionMultiplexer Connection => _connection;

    /// <summary>Publish and subscribe; subscriptions come back by themselves when Redis does.</summary>
    public ISubscriber Subscriber => _connection.GetSubscriber();

    /// <summary>Raised when Redis answers again after it did not.</summary>
    public event Action? Restored;

    /// <summary>A channel of this cluster.</summary>
    /// <param name="name">Which, e.g. <c>lanes</c>.</param>
    public RedisChannel Channel(string name) => RedisChannel.Literal($"{Name}:{name}");

    /// <summary>Whether <paramref name="error"/> says Redis did not answer (a lost connection or a timeout), as opposed to an error Redis answered (a script's, a refused command).</summary>
    /// <param name="error">What a Redis call threw.</param>
    public static bool Unreachable(Exception error) => error is RedisConnectionException or RedisTimeoutException or TimeoutException;

    /// <summary>Microseconds, the unit of every time the cluster's scripts keep.</summary>
    /// <param name="span">A time span.</param>
    public static long Micros(TimeSpan span) => span.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>A key of this cluster; the braces keep one rate's keys in one Redis Cluster slot.</summary>
    /// <param name="kind">What the key holds, e.g. <c>throttle</c>.</param>
    /// <param name="name">Whose it is, e.g. <c>global</c>.</param>
    /// <param name="part">Which part, e.g. <c>starts</c>.</param>
    public RedisKey Key(string kind, string name, string part) => $"{{{Name}:{kind}:{name}}}:{part}";

    public void Dispose() => _connection.Dispose();

    private void Changed(bool up, string? why)
    {
        if (Interlocked.Exchange(ref _down, up ? 0 : 1) == (up ? 0 : 1))
        {
            return; // no change: one line per transition
        }

        lock (_lock)
        {
            if (up && _downSince >= 0)
            {
                _downBefore += _time.GetElapsedTime(_downSince);
                _downSince = -1;
            }
            else if (!up)
            {
                _downSince = _time.GetTimestamp();
            }
        }

        if (up)
        {
            LogBack(_logger, Name);
            Restored?.Invoke();
        }
        else
        {
            LogDown(_logger, Name, why ?? "unknown");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster {Cluster}: Redis answers; the throttle is shared.")]
    private static partial void LogConnected(ILogger logger, string cluster);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster {Cluster}: Redis does not answer ({Reason}); this host keeps to its share of every limit until it does.")]
    private static partial void LogDown(ILogger logger, string cluster, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster {Cluster}: Redis answers again; the throttle is shared again.")]
    private static partial void LogBack(ILogger logger, string cluster);
}
