namespace Pipeline.Redis.Throttling;

/// <summary>
/// The Lua that applies the smallest limit any live host holds: each script call records this host's limit and the
/// time (<c>host → "limit:seen µs"</c> in a hash), forgets hosts not seen within the lease time, and leaves in
/// <c>limit</c> the smallest limit of those left. Expects <c>now</c>, <c>limit</c>, <c>host</c> and <c>lease</c> (µs)
/// in scope, and the hash's key in <c>limits</c>.
/// </summary>
internal static class LiveLimit
{
    /// <summary>Lowers <c>limit</c> to the smallest any live host holds, forgetting the hosts not seen within the lease; records nothing.</summary>
    public const string Smallest = """
        local hosts = redis.call('HGETALL', limits)
        for i = 1, #hosts, 2 do
          local held, seen = string.match(hosts[i + 1], '^(%d+):(%d+)$')
          if now - tonumber(seen) > lease then
            redis.call('HDEL', limits, hosts[i])
          elseif tonumber(held) < limit then
            limit = tonumber(held)
          end
        end
        redis.call('PEXPIRE', limits, math.floor(lease / 1000) + 1000)
        """;

    /// <summary>Records this host's limit, then <see cref="Smallest"/>.</summary>
    public const string Lua = """
        redis.call('HSET', limits, host, string.format('%d:%d', limit, now))
        """ + "\n" + Smallest;
}
