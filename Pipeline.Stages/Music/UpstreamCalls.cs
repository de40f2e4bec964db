using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Caching;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Search;
using Pipeline.Stages.Upstreams;
using Pipeline.Throttling;

namespace Pipeline.Stages.Music;

/// <summary>
/// Best-effort upstream calls for the music stages: the cache first (a hit takes no permit and no budget), and a
/// failed call becomes an <c>item.failed</c> event naming stage, upstream and reason while the item goes on.
/// </summary>
internal sealed class UpstreamCalls
{
    // The calls the stages make: their failure counts start at 0 for every reason.
    private static readonly (string Stage, string Upstream)[] Known =
    [
        (SearchWork.Stage, SpotifyClient.Lane), (SearchWork.Stage, LastFmClient.Lane), (SearchWork.Stage, DeezerClient.Lane),
        (AudioFeaturesWork.Stage, SpotifyClient.Lane), (EnrichmentWork.Stage, LastFmClient.Lane), (EnrichmentWork.Stage, DeezerClient.Lane),
    ];

    private readonly IUpstreamCache _cache;
    private readonly UpstreamMetrics _metrics;
    private readonly TimeProvider _time;

    public UpstreamCalls(IUpstreamCache cache, UpstreamMetrics metrics, TimeProvider time)
    {
        (_cache, _metrics, _time) = (cache, metrics, time);
        string[] reasons =
        [
            .. UpstreamException.Reasons,
            "circuit_open",
            "error",
            .. Enum.GetValues<ThrottleRejectionReason>().Where(r => r != ThrottleRejectionReason.None).Select(ThrottleRejectedException.ItemReasonOf),
        ];
        foreach (var (stage, upstream) in Known)
        {
            metrics.Expect(stage, upstream, reasons);
        }
    }

    public async Task<T?> TryAsync<T>(JobContext job, string stage, string upstream, string kind, string key, object item, Func<Task<T?>> fetch, CancellationToken cancellationToken)
        where T : class
    {
        var (found, cached) = await _cache.GetAsync<T>(kind, key, cancellationToken);
        if (found)
        {
            return cached;
        }

        try
        {
            var value = await fetch();
            await _cache.SetAsync(kind, key, value, cancellationToken);
            return value;
        }
        catch (Exception e) when (IsFailure(e))
        {
            Failed(job, stage, upstream, e, item);
            return null;
        }
    }

    /// <summary>
    /// Cached answers for many keys, the misses fetched <paramref name="perCall"/> keys a call. A key is missing from
    /// the answer when its call failed: reported once per item <paramref name="itemsOf"/> names for the call's keys,
    /// or, for a failure <paramref name="unavailable"/> expects (an endpoint closed to the app), only counted.
    /// </summary>
    public async Task<Dictionary<string, T?>> TryManyAsync<T>(
        JobContext job, string stage, string upstream, string kind, IReadOnlyList<string> keys, int perCall,
        Func<string[], Task<IReadOnlyList<T?>>> fetch, Func<string[], IEnumerable<object>> itemsOf, Func<Exception, bool> unavailable, CancellationToken cancellationToken)
        where T : class
    {
        var answers = new Dictionary<string, T?>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var key in keys)
        {
            var (found, cached) = await _cache.GetAsync<T>(kind, key, cancellationToken);
            if (found)
            {
                answers[key] = cached;
            }
            else
            {
                misses.Add(key);
            }
        }

        foreach (var chunk in misses.Chunk(perCall))
        {
            try
            {
                var fetched = await fetch(chunk);
                for (var i = 0; i < chunk.Length; i++)
                {
                    answers[chunk[i]] = fetched[i];
                    await _cache.SetAsync(kind, chunk[i], fetched[i], cancellationToken);
                }
            }
            catch (Exception e) when (IsFailure(e) && unavailable(e))
            {
                _metrics.Failed(stage, upstream, ReasonOf(e));
            }
            catch (Exception e) when (IsFailure(e))
            {
                foreach (var item in itemsOf(chunk))
                {
                    Failed(job, stage, upstream, e, item);
                }
            }
        }

        return answers;
    }

    /// <summary>A call's expected failures: the upstream's answer, the throttle's refusal, or its circuit open after a run of them.</summary>
    public static bool IsFailure(Exception e) => e is UpstreamException or ThrottleRejectedException or Polly.CircuitBreaker.BrokenCircuitException;

    /// <summary>Reports a failed call; the item goes on without what it would have given.</summary>
    public void Failed(JobContext job, string stage, string upstream, Exception failure, object item)
    {
        var reason = ReasonOf(failure);
        _metrics.Failed(stage, upstream, reason);
        job.Events.Publish(new ItemFailed(job.Id, _time.GetUtcNow(), stage, reason, failure.Message, item.ToString() ?? "", upstream));
    }

    private static string ReasonOf(Exception failure) => failure switch
    {
        UpstreamException u => u.Reason,
        ThrottleRejectedException t => t.ItemReason,
        Polly.CircuitBreaker.BrokenCircuitException => "circuit_open",
        _ => "error",
    };
}
