namespace Pipeline.Redis.Jobs;

/// <summary>
/// The Lua scripts that keep the cluster's jobs. Every key of them shares one hash tag (<c>{name:jobs}</c>), so each
/// script is atomic over the dispatch stream and the jobs' records and logs. A job's hash holds <c>record</c> (its JSON),
/// <c>client</c>, <c>fence</c> (its claim's generation), <c>owner</c>, <c>entry</c> (its dispatch entry), and
/// <c>cancel</c> and <c>ended</c> flags; its log is a stream whose entry ids are <c>0-{seq}</c>.
/// </summary>
internal static class JobScripts
{
    /// <summary>
    /// KEYS: dispatch, job, log, clients. ARGV: id, record, client, type, json, bound, client bound, retention ms, channel.
    /// Keeps the job and its first event and appends it to the dispatch stream: 1; 0 when the cluster holds
    /// <c>bound</c> jobs already (running or waiting); -1 when the client has its bound of them.
    /// </summary>
    public const string Accept = """
        if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[6]) then return 0 end
        if tonumber(redis.call('HGET', KEYS[4], ARGV[3]) or '0') >= tonumber(ARGV[7]) then return -1 end
        redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
        redis.call('XADD', KEYS[3], '0-1', 't', ARGV[4], 'j', ARGV[5])
        local entry = redis.call('XADD', KEYS[1], '*', 'job', ARGV[1])
        redis.call('HSET', KEYS[2], 'record', ARGV[2], 'client', ARGV[3], 'fence', 0, 'entry', entry)
        redis.call('PEXPIRE', KEYS[2], ARGV[8])
        redis.call('PEXPIRE', KEYS[3], ARGV[8])
        redis.call('PUBLISH', ARGV[9], 'new')
        return 1
        """;

    /// <summary>
    /// KEYS: dispatch. ARGV: group, host, room, min idle ms, job key prefix. Claims up to <c>room</c> jobs: first those
    /// whose owner has not renewed its claim for <c>min idle</c> (XAUTOCLAIM), then new ones (XREADGROUP). Each claimed
    /// job's fence goes up by one, so its former owner can write nothing more. Answers {entry, job, fence, cancel} per job;
    /// an entry whose job ended or expired is acknowledged and dropped.
    /// </summary>
    public const string Claim = """
        local room = tonumber(ARGV[3])
        local out = {}
        local function take(entry, fields)
          local job = fields and fields[2]
          local key = job and (ARGV[5] .. job)
          if not job or redis.call('EXISTS', key) == 0 or redis.call('HGET', key, 'ended') == '1' then
            redis.call('XACK', KEYS[1], ARGV[1], entry)
            redis.call('XDEL', KEYS[1], entry)
            return
          end
          local fence = redis.call('HINCRBY', key, 'fence', 1)
          redis.call('HSET', key, 'owner', ARGV[2], 'entry', entry)
          table.insert(out, {entry, job, fence, redis.call('HGET', key, 'cancel') or '0'})
        end
        local cursor = '0-0'
        repeat
          if #out >= room then break end
          local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], cursor, 'COUNT', room - #out)
          cursor = r[1]
          for _, e in ipairs(r[2]) do take(e[1], e[2]) end
        until cursor == '0-0'
        if #out < room then
          local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', room - #out, 'STREAMS', KEYS[1], '>')
          if r then
            for _, e in ipairs(r[1][2]) do take(e[1], e[2]) end
          end
        end
        return out
        """;

    /// <summary>
    /// KEYS: dispatch. ARGV: group, host, job key prefix, then {entry, job, fence} per job this host runs. Renews each
    /// claim still this host's (<c>XCLAIM … JUSTID</c> resets its idle time). Answers {lost jobs, jobs asked to cancel}.
    /// </summary>
    public const string Refresh = """
        local lost, cancel = {}, {}
        for i = 4, #ARGV, 3 do
          local entry, job, fence = ARGV[i], ARGV[i + 1], ARGV[i + 2]
          local key = ARGV[3] .. job
          local mine = redis.call('HGET', key, 'fence') == fence
          if mine then
            local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry, entry, 1)
            mine = p[1] ~= nil and p[1][2] == ARGV[2]
          end
          if mine then
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry, 'JUSTID')
            if redis.call('HGET', key, 'cancel') == '1' then table.insert(cancel, job) end
          else
            table.insert(lost, job)
          end
        end
        return {lost, cancel}
        """;

    /// <summary>
    /// KEYS: job, log, clients, dispatch. ARGV: fence, channel, retention ms, group, then {seq, type, json, terminal} per
    /// event. Appends the events whose seq follows the log's last (those at or below it are there already: a retried
    /// write), each as entry <c>0-{seq}</c>; a terminal event marks the job ended, frees its client's count,
    /// acknowledges its dispatch entry and starts its retention. Answers the log's last seq, or -1 when the fence is not
    /// the job's (another host took it over, or it expired); a gap is an error.
    /// </summary>
    public const string Append = """
        if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then return -1 end
        local last = 0
        local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
        if top[1] then last = tonumber(string.match(top[1][1], '%-(%d+)$')) end
        for i = 5, #ARGV, 4 do
          local seq = tonumber(ARGV[i])
          if seq > last then
            if seq ~= last + 1 then return redis.error_reply('gap: event ' .. seq .. ' after ' .. last) end
            redis.call('XADD', KEYS[2], '0-' .. seq, 't', ARGV[i + 1], 'j', ARGV[i + 2])
            last = seq
            if ARGV[i + 3] == '1' then
              redis.call('HSET', KEYS[1], 'ended', '1')
              local client = redis.call('HGET', KEYS[1], 'client')
              if client and redis.call('HINCRBY', KEYS[3], client, -1) <= 0 then redis.call('HDEL', KEYS[3], client) end
              local entry = redis.call('HGET', KEYS[1], 'entry')
              if entry then
                redis.call('XACK', KEYS[4], ARGV[4], entry)
                redis.call('XDEL', KEYS[4], entry)
              end
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              redis.call('PEXPIRE', KEYS[2], ARGV[3])
            end
          end
        end
        redis.call('PUBLISH', ARGV[2], last)
        return last
        """;

    /// <summary>KEYS: job. ARGV: fence, record. Replaces the job's record: 1, or 0 when the fence is not the job's.</summary>
    public const string Save = """
        if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'record', ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS: job, dispatch. ARGV: fence, group, job id, channel. Hands a job this host stops running back to the
    /// cluster: its entry is acknowledged and a new one appended, which any host reads at once, and the fence goes up, so
    /// this host writes no more of it. 1, or 0 when it was no longer this host's.
    /// </summary>
    public const string HandOff = """
        if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then return 0 end
        local entry = redis.call('HGET', KEYS[1], 'entry')
        if entry then
          redis.call('XACK', KEYS[2], ARGV[2], entry)
          redis.call('XDEL', KEYS[2], entry)
        end
        local e = redis.call('XADD', KEYS[2], '*', 'job', ARGV[3])
        redis.call('HSET', KEYS[1], 'entry', e)
        redis.call('HINCRBY', KEYS[1], 'fence', 1)
        redis.call('PUBLISH', ARGV[4], 'new')
        return 1
        """;

    /// <summary>
    /// KEYS: job. ARGV: channel, job id. Asks the job's owner, whichever host it is or will be, to cancel it: 1; 0 when
    /// it has ended; -1 when there is no such job.
    /// </summary>
    public const string Cancel = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        if redis.call('HGET', KEYS[1], 'ended') == '1' then return 0 end
        redis.call('HSET', KEYS[1], 'cancel', '1')
        redis.call('PUBLISH', ARGV[1], 'cancel:' .. ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS: readers. ARGV: host, lease ms (0 to leave), channel, job id. Enters (or renews) or removes this host among
    /// the job's readers; a host that leaves says so on the channel. Answers the readers left, on every host.
    /// </summary>
    public const string Readers = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local lease = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if lease > 0 then
          redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
          redis.call('PEXPIRE', KEYS[1], lease)
        elseif ARGV[1] ~= '' and redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          redis.call('PUBLISH', ARGV[3], 'readers:' .. ARGV[4])
        end
        return redis.call('ZCARD', KEYS[1])
        """;
}
