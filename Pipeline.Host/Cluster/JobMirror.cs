using System.Threading.Channels;
using Pipeline.Host.Jobs;
using Pipeline.Host.Streaming;
using Pipeline.Redis;
using Pipeline.Redis.Jobs;

namespace Pipeline.Host.Cluster;

/// <summary>
/// A job another host runs, followed here for this host's readers: its log (<see cref="HostedJob.Log"/>, with no store)
/// takes every entry Redis has, then each one appended, woken by the job's channel and read by range, so delivery
/// waits on no period; when this host runs the job, its entries are given to the mirror as Redis takes them
/// (<see cref="ClusterJobs"/>), and the channel's message finds them held. While it has readers this host is among the job's readers in Redis (the owner cancels an
/// abandoned job only when no host has one left); when the last leaves and none comes back within the linger time, the
/// mirror stops following and is dropped.
/// </summary>
internal sealed partial class JobMirror : IDisposable
{
    private const int Page = 512;

    private readonly RedisJobs _jobs;
    private readonly RedisCluster _cluster;
    private readonly TimeProvider _time;
    private readonly TimeSpan _linger;
    private readonly TimeSpan _readerLease;
    private readonly Action<JobMirror> _gone;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private int _readers;
    private ITimer? _lingering;

    public JobMirror(HostedJob job, RedisJobs jobs, RedisCluster cluster, TimeProvider time, TimeSpan linger, TimeSpan readerLease, Action<JobMirror> gone, ILogger logger)
    {
        (Job, _jobs, _cluster, _time, _linger, _readerLease, _gone, _logger) = (job, jobs, cluster, time, linger, readerLease, gone, logger);
        _cluster.Restored += Wake; // a message missed while Redis was away: read what came meanwhile
        _ = Task.Run(FollowAsync);
        Linger();
    }

    /// <summary>The job as followed here: no context, its log filled from Redis.</summary>
    public HostedJob Job { get; }

    /// <summary>Counts a reader here; the first one enters this host among the job's readers in Redis.</summary>
    public IDisposable Subscribe()
    {
        lock (_lock)
        {
            _lingering?.Dispose();
            _lingering = null;
            if (++_readers == 1)
            {
                _ = EnterAsync();
            }
        }

        return new Reader(this);
    }

    /// <summary>Renews this host's place among the job's readers, while it has any.</summary>
    public Task RenewAsync() => Volatile.Read(ref _readers) > 0 ? EnterAsync() : Task.CompletedTask;

    public void Dispose()
    {
        Job.Log.Seal(); // a reader still on it ends, to reconnect with its last id to a mirror that follows
        _cluster.Restored -= Wake;
        lock (_lock)
        {
            _lingering?.Dispose();
        }

        _stop.Cancel();
        _stop.Dispose();
    }

    private void Leave()
    {
        var ended = false;
        lock (_lock)
        {
            if (--_readers > 0)
            {
                return;
            }

            if (Job.Log.Ended is null)
            {
                Linger();
            }
            else
            {
                ended = true; // read to its end: a later find reads it back from Redis, nothing to keep here
            }
        }

        _ = Quietly(_jobs.LeaveReadersAsync(Job.Id));
        if (ended)
        {
            _gone(this);
            Dispose();
        }
    }

    // Caller holds the lock (or is the constructor).
    private void Linger() =>
        _lingering = _time.CreateTimer(static s => ((JobMirror)s!).Drop(), this, _linger, Timeout.InfiniteTimeSpan);

    private void Drop()
    {
        lock (_lock)
        {
            if (_readers > 0)
            {
                return;
            }
        }

        _gone(this);
        Dispose();
    }

    private Task EnterAsync() => Quietly(_jobs.EnterReadersAsync(Job.Id, _readerLease));

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task FollowAsync()
    {
        var token = _stop.Token;
        var channel = _jobs.LogChannel(Job.Id);
        Action<StackExchange.Redis.RedisChannel, StackExchange.Redis.RedisValue> appended = (_, last) =>
        {
            if (!last.TryParse(out long seq) || seq > Job.Log.LastSequence)
            {
                Wake(); // an append this mirror does not hold yet (one made on this host it was given already)
            }
        };
        try
        {
            await Quietly(_cluster.Subscriber.SubscribeAsync(channel, appended)); // before the first read: no append falls between
            while (!token.IsCancellationRequested && Job.Log.Ended is null)
            {
                try
                {
                    var read = await _jobs.ReadAsync(Job.Id, Job.Log.LastSequence, Page).WaitAsync(token);
                    Job.Log.Follow(read.Select(e => new JobLogEntry(e.Seq, e.Type, e.Json)));
                    if (read.Count == Page)
                    {
                        continue;
                    }
                }
                catch (Exception e) when (RedisCluster.Unreachable(e))
                {
                    LogUnreachable(_logger, Job.Id, e.Message); // read again when Redis is back (Restored), or at the next append
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFollowFailed(_logger, Job.Id, e); // read again at the next append: the readers are never left waiting on a dead loop
                }

                if (Job.Log.Ended is null)
                {
                    await _wake.Reader.ReadAsync(token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Dropped.
        }
        finally
        {
            await Quietly(_cluster.Subscriber.UnsubscribeAsync(channel, appended));
        }
    }

    private static async Task Quietly(Task call)
    {
        try
        {
            await call;
        }
        catch (Exception e) when (RedisCluster.Unreachable(e))
        {
            // Redis is away: the renewal or the next read puts it right; the connection's own log says it once.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: following its log from Redis failed; it is read again at the next append")]
    private static partial void LogFollowFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: its log could not be read from Redis ({Reason}); read again when Redis answers")]
    private static partial void LogUnreachable(ILogger logger, string jobId, string reason);

    private sealed class Reader(JobMirror mirror) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                mirror.Leave();
            }
        }
    }
}
