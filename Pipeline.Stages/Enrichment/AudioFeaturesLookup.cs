using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>
/// Spotify's audio features for a list of tracks, through the answer cache (100 ids a call), for the audio-features
/// stage and search's tempo screen alike. While the endpoint answers 403/404 (closed to apps registered after Nov
/// 2024) its breaker keeps it shut (<see cref="ClosableEndpoint"/>): the tracks take the BPM enrichment finds on Deezer.
/// </summary>
internal sealed class AudioFeaturesLookup(SpotifyClient spotify, UpstreamCalls calls)
{
    /// <summary>The cache kind of a track's features.</summary>
    public const string Kind = "spotify.features";

    /// <summary>Ids one call reads at most (Spotify's limit).</summary>
    public const int IdsPerCall = 100;

    /// <summary>
    /// The features of each id Spotify answered for (null where it has none). An id is missing when the endpoint is
    /// closed (counted only) or its call failed (reported for each item <paramref name="itemsOf"/> names for the call's ids).
    /// </summary>
    public Task<Dictionary<string, AudioFeatures?>> GetAsync(IReadOnlyList<string> ids, JobContext job, string stage, Func<string[], IEnumerable<object>> itemsOf, CancellationToken cancellationToken) =>
        calls.TryManyAsync(
            job, stage, SpotifyClient.Lane, Kind, ids, IdsPerCall, chunk => spotify.GetAudioFeaturesAsync(chunk, job, cancellationToken),
            itemsOf, ClosableEndpoint.IsUnavailable, cancellationToken);
}
