using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Redis;

namespace Pipeline.Tests.Support;

/// <summary>
/// A test's redis-server, started on first use (the test is skipped where there is none), and the hosts' connections
/// and whatever else the test builds on it, disposed newest first before the server stops. A test class hands its
/// <see cref="IAsyncLifetime"/> on to it (xunit 2 calls no <see cref="IAsyncDisposable"/> on a test class).
/// </summary>
internal sealed class TestRedis : IAsyncLifetime
{
    private readonly List<object> _owned = [];
    private RedisServer? _server;

    /// <summary>The server, once a host has connected.</summary>
    public RedisServer Server => _server ?? throw new InvalidOperationException("No host has connected yet.");

    /// <summary>
    /// A host's connection, as <paramref name="host"/> with <paramref name="options"/> (their <c>Redis</c> set to this
    /// server), owned here; starts the server first if need be.
    /// </summary>
    public async Task<(RedisCluster Cluster, IOptions<ClusterOptions> Options)> ConnectAsync(string host, ClusterOptions options)
    {
        options.Redis = (await ServerAsync()).ConnectionString;
        var wrapped = Options.Create(options);
        return (Own(new RedisCluster(wrapped, NullLogger<RedisCluster>.Instance, host)), wrapped);
    }

    /// <summary>The server, started if need be.</summary>
    public async Task<RedisServer> ServerAsync()
    {
        Requires.Redis();
        return _server ??= await RedisServer.StartAsync();
    }

    /// <summary>Stops the server and starts an empty one on its port, as a Redis restarted without its data comes back.</summary>
    public async Task RestartEmptyAsync()
    {
        var port = Server.Port;
        await Server.DisposeAsync();
        _server = await RedisServer.StartAsync(port);
    }

    /// <summary>Disposes <paramref name="owned"/> with the rest, before the server stops.</summary>
    public T Own<T>(T owned)
        where T : class
    {
        _owned.Add(owned);
        return owned;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            switch (owned)
            {
                case IAsyncDisposable asynchronous:
                    await asynchronous.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
