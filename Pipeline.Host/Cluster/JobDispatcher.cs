using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Redis;
using Pipeline.Redis.Jobs;
using StackExchange.Redis;

namespace Pipeline.Host.Cluster;

/// <summary>
/// This host's part in the cluster's work queue. It claims jobs while it has room (<see cref="RedisJobs.ClaimAsync"/>):
/// when one is announced, when a job of its own ends, when Redis is back, and every quarter of the lease time for the
/// jobs of a host that died (taken within 1.25 lease times of its last renewal). Every third of the lease time it renews its claims; a claim another host took stops the job here,
/// and a job a host was asked to cancel is cancelled. It hears cancellations and readers leaving on the cluster's
/// channel. At a stop, the jobs the drain left unfinished are handed back for another host to take at once.
/// </summary>
internal sealed partial class JobDispatcher(
    IServiceProvider services,
    ClusterJobStore store,
    ClusterJobs cluster,
    RedisJobs jobs,
    RedisCluster connection,
    IOptions<ClusterOptions> options,
    IOptions<AdmissionOptions> admission,
    ClusterMetrics metrics,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<JobDispatcher> logger) : IHostedService, IDisposable
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private Task _claiming = Task.CompletedTask;
    private ITimer? _refresh;
    private JobService _service = null!;
    private bool _outageEnded; // this outage's jobs ended already

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Once the server listens: claimed jobs may call the sandbox it serves, whose clients take its address when built.
        lifetime.ApplicationStarted.Register(() =>
        {
            _service = services.GetRequiredService<JobService>();
            store.Fenced += Lose;
            _service.RoomFreed += Wake;
            connection.Restored += Restored;
            _claiming = Task.Run(ClaimAsync);
        });
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        _refresh?.Dispose();
        await _claiming;
        await HandOffAsync();
    }

    public void Dispose()
    {
        _refresh?.Dispose();
        _stop.Dispose();
        _refreshing.Dispose();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private void Lose(string id)
    {
        if (_service.Lose(id))
        {
            metrics.Lost();
        }
    }

    // Redis is back: this host's claims renewed first (those still its own stay here), then the idle ones claimed.
    private void Restored()
    {
        _ = RefreshAsync();
        Wake();
    }

    private async Task ClaimAsync()
    {
        var token = _stop.Token;
        var lease = options.Value.LeaseTime;
        await PrepareAsync(token);
        _refresh = time.CreateTimer(static s => _ = ((JobDispatcher)s!).RefreshAsync(), this, lease / 3, lease / 3);
        while (!token.IsCancellationRequested)
        {
            await ClaimOnceAsync();
            if (!await WaitAsync(lease / 4, token)) // a dead host's jobs go idle without a word: looked for each quarter lease
            {
                return;
            }
        }
    }

    /// <summary>Waits for a wake-up or <paramref name="timeout"/>; false once stopping. An unread wake-up is never left to a stale read.</summary>
    private async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken token)
    {
        using var timer = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(token, timer.Token);
        try
        {
            await _wake.Reader.ReadAsync(either.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // The timeout.
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    // The group, and the channel, before the first claim; Redis may not answer yet.
    private async Task PrepareAsync(CancellationToken token)
    {
        await connection.Subscriber.SubscribeAsync(jobs.Control, (_, message) => Heard(message));
        while (!token.IsCancellationRequested)
        {
            try
            {
                await jobs.EnsureGroupAsync();
                return;
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                await WaitAsync(options.Value.LeaseTime, token); // Redis's return wakes it
            }
        }
    }

    private void Heard(RedisValue message)
    {
        var text = (string?)message ?? "";
        if (text == "new")
        {
            Wake();
        }
        else if (text.StartsWith("cancel:", StringComparison.Ordinal))
        {
            _service.CancelOwned(text["cancel:".Length..]);
        }
        else if (text.StartsWith("readers:", StringComparison.Ordinal))
        {
            _service.ReadersLeft(text["readers:".Length..]);
        }
    }

    private async Task ClaimOnceAsync()
    {
        var room = admission.Value.MaxActiveJobs - _service.Admitted;
        if (room <= 0 || _service.IsStopping || !connection.IsConnected)
        {
            return;
        }

        try
        {
            foreach (var claim in await jobs.ClaimAsync(room))
            {
                if (store.TryGetClaim(claim.JobId, out _))
                {
                    store.Own(claim); // its own claim, idle too long (this host was stalled): it goes on here, under the new fence
                    LogReclaimed(logger, claim.JobId, claim.Fence);
                    continue;
                }

                if (await store.FindAsync(claim.JobId) is not { } stored)
                {
                    continue; // gone past its retention between the claim and the read
                }

                store.Own(claim);
                metrics.Claimed(takeover: claim.Fence > 1);
                LogClaimed(logger, claim.JobId, stored.Events.Count, claim.Fence);
                _service.Own(stored, claim.CancelAsked);
            }
        }
        catch (Exception e) when (RedisCluster.Unreachable(e) || e is JobStoreUnavailableException)
        {
            // Claimed again when Redis answers (Restored wakes this loop); the connection's own log says it once.
        }
        catch (Exception e)
        {
            LogClaimFailed(logger, e); // the loop goes on: the next wake-up claims again
        }
    }

    private async Task RefreshAsync()
    {
        if (!await _refreshing.WaitAsync(0))
        {
            return; // the last renewal is still out
        }

        try
        {
            if (connection.DownFor is { } down)
            {
                EndIfOutageLasts(down);
                return;
            }

            _outageEnded = false;
            var (lost, cancel) = await jobs.RefreshAsync([.. store.Claims]);
            foreach (var id in lost)
            {
                store.Release(id);
                Lose(id);
            }

            foreach (var id in cancel)
            {
                _service.CancelOwned(id);
            }

            await cluster.RenewReadersAsync();
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            // Renewed at the next tick; a claim that idles past the lease meanwhile is another host's to take.
        }
        catch (RedisServerException e)
        {
            LogRefreshFailed(logger, e);
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
        finally
        {
            _refreshing.Release();
        }
    }

    // Redis away past the outage timeout: the jobs running here end failed, their ends written when it is back (a job
    // another host claimed meanwhile goes on there, and this host's end of it is refused).
    private void EndIfOutageLasts(TimeSpan down)
    {
        if (down > options.Value.OutageTimeout && !_outageEnded)
        {
            _outageEnded = true;
            LogOutage(logger, down.TotalSeconds);
            _service.FailRunning("storage_unavailable");
        }
    }

    // The drain is over: what this host still holds is a job it sealed, handed back for another host to resume at once.
    private async Task HandOffAsync()
    {
        foreach (var claim in store.Claims.ToList())
        {
            try
            {
                if (await jobs.HandOffAsync(claim))
                {
                    LogHandedOff(logger, claim.JobId);
                }
            }
            catch (Exception e) when (RedisCluster.Unreachable(e))
            {
                break; // its claim goes idle: another host takes it after the lease time
            }
            finally
            {
                store.Release(claim.JobId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed job {JobId} ({Events} events logged, fence {Fence})")]
    private static partial void LogClaimed(ILogger logger, string jobId, int events, long fence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claimed job {JobId} again (fence {Fence}): this host had not renewed its claim within the lease time, and it goes on here")]
    private static partial void LogReclaimed(ILogger logger, string jobId, long fence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Renewing this host's claims failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming jobs from the cluster failed")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis has not answered for {Seconds:0} s, past Pipeline:Cluster:OutageTimeout: the jobs running here end failed (storage_unavailable)")]
    private static partial void LogOutage(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: job {JobId} handed back to the cluster, to go on on another host")]
    private static partial void LogHandedOff(ILogger logger, string jobId);
}
