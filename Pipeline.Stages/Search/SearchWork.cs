using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Events;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// The search stage: gathers a pool of candidates several times the set's size from every source the intent points
/// to (seed tracks and the tracks like them, named artists, their own tracks and artists like them, Last.fm's top
/// tracks for each style and mood tag, Spotify's genre and year filters, the free words), one version of each song.
/// Sources are read side by side and their tracks handed on in a fixed order, so the same request gives the same pool.
/// </summary>
internal sealed class SearchWork(SpotifyClient spotify, LastFmClient lastfm, AudioFeaturesLookup audioFeatures, UpstreamCalls calls, IOptions<UpstreamOptions> upstreams, IOptions<SetPipelineOptions> options, TimeProvider time)
{
    public const string Stage = "search";

    /// <summary>Rounds of asking the sources for more while the pool is short.</summary>
    private const int Rounds = 3;

    /// <summary>How many more tracks Spotify's queries gather when a tempo is asked, for the pool to keep those that fit it.</summary>
    private const int OverGather = 8;

    /// <summary>
    /// The same for Last.fm's tracks in the first round, fewer: each costs a Spotify lookup where a Spotify page brings ten.
    /// </summary>
    private const int LastFmOverGather = 3;

    public async IAsyncEnumerable<Track> RunAsync(SetSearch search, JobContext job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var intent = search.Intent;
        var pool = options.Value.PoolSize(intent.TrackCount);
        var sources = new CandidateSources(spotify, lastfm, audioFeatures, calls, upstreams.Value.Spotify.SearchLimit, job, search.Request);
        var plan = SearchPlan.For(intent, sources, pool);
        var seen = new SeenSongs();
        var found = 0;
        var window = TempoWindow(intent);
        var spares = new List<(SpotifyTrack Item, string Source)>(); // gathered off the asked tempo: the pool's last resort
        for (var round = 0; round < Rounds && found < pool; round++)
        {
            var active = plan.Where(p => !p.Source.Exhausted).ToList();
            if (active.Count == 0)
            {
                break;
            }

            // First round: each source its share; later rounds split what is still missing. When a tempo is asked, each
            // source gathers more (Spotify's cheap pages most) for the pool to keep those that can sit on it. Every
            // source gathers from the start; the pool takes their tracks in the plan's order as they come in, so the
            // same request gives the same pool and the next stages start on the first tracks while the rest come.
            var feeds = active.Select(p => SourceFeed.Start(p.Source, Wanted(p, round, pool - found, active.Count, window is not null), sources.PageLimit, cancellationToken)).ToList();
            try
            {
                await foreach (var (item, source, fits) in GatherAsync(feeds, seen, window, sources, cancellationToken))
                {
                    if (fits && found < pool)
                    {
                        yield return Found(item, source, ++found, job);
                    }
                    else
                    {
                        spares.Add((item, source));
                    }

                    if (found == pool)
                    {
                        break;
                    }
                }
            }
            finally
            {
                await SourceFeed.StopAsync(feeds); // a full pool or an ended job: calls running finish (and are cached) first
            }
        }

        // The sources ran dry before the asked tempo filled the pool: the nearest the sequencer can make of the rest.
        foreach (var (item, source) in spares.Take(pool - found))
        {
            yield return Found(item, source, ++found, job);
        }
    }

    /// <summary>
    /// The feeds' tracks in the plan's order, each song once across the whole search, and whether it fits: with a tempo
    /// asked, whether Spotify's features place it there; without one, every track fits. Features are read for every
    /// track in calls that grow to a full 100 and cached, so the audio-features stage finds them there rather than
    /// asking in the small batches a trickle of tracks would make.
    /// </summary>
    private static async IAsyncEnumerable<(SpotifyTrack Item, string Source, bool Fits)> GatherAsync(List<SourceFeed> feeds, SeenSongs seen, (double Low, double High)? window, CandidateSources sources, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<(SpotifyTrack Item, string Source)>(AudioFeaturesLookup.IdsPerCall);
        var least = 1;
        foreach (var feed in feeds)
        {
            while (await feed.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < AudioFeaturesLookup.IdsPerCall && feed.TryRead(out var item))
                {
                    if (seen.Add(item))
                    {
                        batch.Add((item, feed.Source));
                    }
                }

                // What is in goes when the sources pause, each call at least twice the last: the round's first tracks go
                // on at once, and the calls soon carry a full 100.
                if (batch.Count > 0 && batch.Count >= least)
                {
                    least = Math.Min(AudioFeaturesLookup.IdsPerCall, 2 * batch.Count);
                    foreach (var screened in await ScreenAsync(batch, window, sources, cancellationToken))
                    {
                        yield return screened;
                    }

                    batch.Clear();
                }
            }
        }

        foreach (var screened in batch.Count > 0 ? await ScreenAsync(batch, window, sources, cancellationToken) : [])
        {
            yield return screened;
        }
    }

    private static async Task<IEnumerable<(SpotifyTrack Item, string Source, bool Fits)>> ScreenAsync(List<(SpotifyTrack Item, string Source)> batch, (double Low, double High)? window, CandidateSources sources, CancellationToken cancellationToken)
    {
        var tempos = await sources.TemposAsync([.. batch.Select(g => g.Item.Id)], cancellationToken);
        return [.. batch.Select(g => (g.Item, g.Source, window is not { } w || (tempos.TryGetValue(g.Item.Id, out var bpm) && Fits(bpm, w))))];
    }

    private static int Wanted(PlannedSource planned, int round, int missing, int sources, bool screen)
    {
        var wanted = round == 0 ? planned.Share : Math.Max(2, (missing + sources - 1) / sources);
        return !screen ? wanted : planned.Source is SpotifyQuerySource ? wanted * OverGather : round == 0 ? wanted * LastFmOverGather : wanted;
    }

    /// <summary>The tempos an asked curve spans, widened by the in-tempo margin; null when no tempo is asked.</summary>
    private static (double Low, double High)? TempoWindow(SetIntent intent) => intent.Tempo is { } t
        ? (t.Min - t.Band - Sequencing.SetSequencer.InTempo - (intent.Shape is not null ? 8 : 0), t.Max + t.Band + Sequencing.SetSequencer.InTempo)
        : null;

    private static bool Fits(double bpm, (double Low, double High) window) =>
        bpm is > 0 && new[] { bpm, bpm / 2, bpm * 2 }.Any(b => b >= window.Low && b <= window.High);

    private Track Found(SpotifyTrack item, string source, int index, JobContext job)
    {
        var track = new Track(item.Id, item.Name, item.Artists, item.Album, item.ReleaseDate, item.DurationMs, item.Isrc, index) { Source = source };
        job.Events.Publish(new TrackFound(job.Id, time.GetUtcNow(), track));
        return track;
    }
}
