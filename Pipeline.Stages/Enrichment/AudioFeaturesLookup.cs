using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>
/// Spotify's audio features for a list of tracks, through the answer cache (100 ids a call), for the audio-features
/// stage and search's tempo screen alike. While the endpoint answers 403/404 (closed to apps registered after Nov
/// 2024) it is asked again only every 10 minutes: the tracks then take the BPM enrichment finds on Deezer.
/// </summary>
internal sealed class AudioFeaturesLookup(SpotifyClient spotify, UpstreamCalls calls, TimeProvider time)
{
    /// <summary>The cache kind of a track's features.</summary>
    public const string Kind = "spotify.features";

    /// <summary>Ids one call reads at most (Spotify's limit).</summary>
    public const int IdsPerCall = 100;
    private static readonly TimeSpan ClosedRecheck = TimeSpan.FromMinutes(10);

    private long _closedUntilTicks;

    /// <summary>
    /// The features of each id Spotify answered for (null where it has none); an id is missing when the endpoint is
    /// closed or its call failed, which <paramref name="failed"/> is told of with the ids the call held.
    /// </summary>
    public async Task<Dictionary<string, AudioFeatures?>> GetAsync(IReadOnlyList<string> ids, JobContext job, Action<Exception, IReadOnlyList<string>> failed, CancellationToken cancellationToken)
    {
        var features = new Dictionary<string, AudioFeatures?>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var id in ids)
        {
            var (found, cached) = await calls.Cache.GetAsync<AudioFeatures>(Kind, id, cancellationToken);
            if (found)
            {
                features[id] = cached;
            }
            else
            {
                misses.Add(id);
            }
        }

        foreach (var chunk in misses.Chunk(IdsPerCall))
        {
            if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref _closedUntilTicks))
            {
                break;
            }

            try
            {
                var fetched = await spotify.GetAudioFeaturesAsync(chunk, job, cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    features[chunk[i]] = fetched[i];
                    await calls.Cache.SetAsync(Kind, chunk[i], fetched[i], cancellationToken);
                }
            }
            catch (UpstreamException e) when (e.Reason is "forbidden" or "not_found")
            {
                Interlocked.Exchange(ref _closedUntilTicks, (time.GetUtcNow() + ClosedRecheck).UtcTicks);
            }
            catch (Exception e) when (UpstreamCalls.IsFailure(e))
            {
                failed(e, chunk);
            }
        }

        return features;
    }
}
