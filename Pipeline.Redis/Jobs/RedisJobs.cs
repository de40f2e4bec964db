using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Pipeline.Redis.Jobs;

/// <summary>
/// The cluster's jobs in Redis, on Redis's own work-queue semantics: a job accepted by any host is appended to one
/// dispatch stream; a host with room reads it with its consumer group (<c>XREADGROUP</c>) and owns it while its claim is
/// fresh (<c>XCLAIM … JUSTID</c> renews it); a dead host's jobs are taken by the others once idle for the lease time
/// (<c>XAUTOCLAIM</c>). Each claim raises the job's fence, and every write of the job carries it, checked inside the
/// script, so a host that lost its claim writes nothing more. A job's events are a stream with ids <c>0-{seq}</c>; each
/// append is announced on the job's channel, which readers on other hosts follow.
/// </summary>
internal sealed class RedisJobs
{
    /// <summary>The consumer group every host reads the dispatch stream with.</summary>
    public const string Group = "hosts";

    private readonly RedisCluster _cluster;
    private readonly ClusterOptions _options;

    public RedisJobs(RedisCluster cluster, IOptions<ClusterOptions> options)
    {
        _cluster = cluster;
        _options = options.Value;
    }

    /// <summary>This host in the cluster.</summary>
    public string HostId => _cluster.HostId;

    /// <summary>Where new jobs and requests to cancel or re-count readers are announced.</summary>
    public RedisChannel Control => _cluster.Channel("jobs");

    private string Prefix => $"{{{_cluster.Name}:jobs}}:";

    private RedisKey Dispatch => Prefix + "dispatch";

    private RedisKey Clients => Prefix + "clients";

    private IDatabase Database => _cluster.Database;

    /// <summary>Where appends to <paramref name="id"/>'s log are announced (the message is its last seq).</summary>
    public RedisChannel LogChannel(string id) => _cluster.Channel("log:" + id);

    /// <summary>Creates the dispatch stream and its consumer group, unless they are there.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Dispatch, Group, "0-0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // There already.
        }
    }

    /// <summary>
    /// Keeps a new job (record and first event) and appends it to the dispatch stream, unless the cluster holds
    /// <paramref name="bound"/> jobs already (<see cref="AcceptResult.Busy"/>) or the client <paramref name="clientBound"/>.
    /// </summary>
    public async Task<AcceptResult> AcceptAsync(string id, string record, string client, StreamedEvent first, int bound, int clientBound, TimeSpan retention)
    {
        var answer = (int)await Database.ScriptEvaluateAsync(
            JobScripts.Accept,
            [Dispatch, Job(id), Log(id), Clients],
            [id, record, client, first.Type, first.Json, bound, clientBound, Millis(retention), Control.ToString()]);
        return answer switch { 1 => AcceptResult.Accepted, 0 => AcceptResult.Busy, _ => AcceptResult.ClientBound };
    }

    /// <summary>Claims up to <paramref name="room"/> jobs: those a dead host left first, then new ones.</summary>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int room)
    {
        var answer = (RedisResult[])(await WithGroupAsync(() => Database.ScriptEvaluateAsync(
            JobScripts.Claim,
            [Dispatch],
            [Group, HostId, room, Millis(_options.LeaseTime), Prefix + "job:"])))!;
        return [.. answer.Select(r => (RedisResult[])r!).Select(r => new ClaimedJob((string)r[1]!, (string)r[0]!, (long)r[2], (string)r[3]! == "1"))];
    }

    /// <summary>Renews this host's claims; answers the jobs it lost and those a host was asked to cancel.</summary>
    public async Task<(IReadOnlyList<string> Lost, IReadOnlyList<string> Cancel)> RefreshAsync(IReadOnlyCollection<ClaimedJob> held)
    {
        if (held.Count == 0)
        {
            return ([], []);
        }

        RedisValue[] args = [Group, HostId, Prefix + "job:", .. held.SelectMany(j => new RedisValue[] { j.Entry, j.JobId, j.Fence })];
        var answer = (RedisResult[])(await WithGroupAsync(() => Database.ScriptEvaluateAsync(JobScripts.Refresh, [Dispatch], args)))!;
        return (Strings(answer[0]), Strings(answer[1]));
    }

    /// <summary>
    /// Appends <paramref name="events"/> (in order, the terminal one <paramref name="terminal"/> when among them) to the
    /// job's log under <paramref name="fence"/>. Answers the log's last seq, or -1 when the fence is no longer the job's.
    /// </summary>
    public async Task<long> AppendAsync(string id, long fence, IReadOnlyList<StreamedEvent> events, long terminal, TimeSpan retention)
    {
        var args = new RedisValue[4 + (events.Count * 4)];
        (args[0], args[1], args[2], args[3]) = (fence, LogChannel(id).ToString(), Millis(retention), Group);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            (args[4 + (i * 4)], args[5 + (i * 4)], args[6 + (i * 4)], args[7 + (i * 4)]) = (e.Seq, e.Type, e.Json, e.Seq == terminal ? "1" : "0");
        }

        return (long)await Database.ScriptEvaluateAsync(JobScripts.Append, [Job(id), Log(id), Clients, Dispatch], args);
    }

    /// <summary>Replaces the job's record under <paramref name="fence"/>; false when the fence is no longer the job's.</summary>
    public async Task<bool> SaveAsync(string id, long fence, string record) =>
        (int)await Database.ScriptEvaluateAsync(JobScripts.Save, [Job(id)], [fence, record]) == 1;

    /// <summary>Gives a job this host stops running back to the cluster, to be read by any host at once.</summary>
    public async Task<bool> HandOffAsync(ClaimedJob job) =>
        (int)await Database.ScriptEvaluateAsync(JobScripts.HandOff, [Job(job.JobId), Dispatch], [job.Fence, Group, job.JobId, Control.ToString()]) == 1;

    /// <summary>Asks the job's owner to cancel it: true, false when it has ended, null when there is no such job.</summary>
    public async Task<bool?> CancelAsync(string id) =>
        (int)await Database.ScriptEvaluateAsync(JobScripts.Cancel, [Job(id)], [Control.ToString(), id]) switch { 1 => true, 0 => false, _ => null };

    /// <summary>Enters or renews this host among the job's readers for <paramref name="lease"/>; answers the hosts reading it.</summary>
    public async Task<long> EnterReadersAsync(string id, TimeSpan lease) =>
        (long)await Database.ScriptEvaluateAsync(JobScripts.Readers, [Readers(id)], [HostId, Millis(lease), Control.ToString(), id]);

    /// <summary>Removes this host from the job's readers, saying so to the job's owner.</summary>
    public Task LeaveReadersAsync(string id) =>
        Database.ScriptEvaluateAsync(JobScripts.Readers, [Readers(id)], [HostId, 0, Control.ToString(), id]);

    /// <summary>The hosts reading the job now.</summary>
    public async Task<long> CountReadersAsync(string id) =>
        (long)await Database.ScriptEvaluateAsync(JobScripts.Readers, [Readers(id)], ["", 0, Control.ToString(), id]);

    /// <summary>The job with its whole log, or null when Redis has no such job.</summary>
    public async Task<StoredClusterJob?> LoadAsync(string id)
    {
        var batch = Database.CreateBatch();
        var fields = batch.HashGetAsync(Job(id), ["record", "ended", "owner"]);
        var log = batch.StreamRangeAsync(Log(id));
        batch.Execute();
        var values = await fields;
        return values[0].IsNull ? null : new StoredClusterJob(values[0]!, values[1] == "1", values[2], Events(await log));
    }

    /// <summary>Up to <paramref name="count"/> events of the job's log after <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<StreamedEvent>> ReadAsync(string id, long after, int count) =>
        Events(await Database.StreamRangeAsync(Log(id), $"({Id(after)}", "+", count));

    private RedisKey Job(string id) => Prefix + "job:" + id;

    private RedisKey Log(string id) => Prefix + "log:" + id;

    private RedisKey Readers(string id) => Prefix + "readers:" + id;

    private static string Id(long seq) => "0-" + seq.ToString(CultureInfo.InvariantCulture);

    private static long Millis(TimeSpan span) => (long)span.TotalMilliseconds;

    private static List<string> Strings(RedisResult result) => [.. ((RedisResult[])result!).Select(r => (string)r!)];

    private static List<StreamedEvent> Events(StreamEntry[] entries) =>
        [.. entries.Select(e => new StreamedEvent(long.Parse(((string)e.Id!).AsSpan(2), CultureInfo.InvariantCulture), e["t"]!, e["j"]!))];

    // Redis restarted without its data has lost the group: it is made again, and the call tried once more.
    private async Task<RedisResult> WithGroupAsync(Func<Task<RedisResult>> call)
    {
        try
        {
            return await call();
        }
        catch (RedisServerException e) when (e.Message.Contains("NOGROUP", StringComparison.Ordinal))
        {
            await EnsureGroupAsync();
            return await call();
        }
    }
}
