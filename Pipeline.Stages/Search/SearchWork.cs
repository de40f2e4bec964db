using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
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
internal sealed class SearchWork(SpotifyClient spotify, LastFmClient lastfm, UpstreamCalls calls, IOptions<UpstreamOptions> upstreams, IOptions<SetPipelineOptions> options, TimeProvider time)
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
        var sources = new CandidateSources(spotify, lastfm, calls, upstreams.Value.Spotify.SearchLimit, job, search.Request);
        var plan = SearchPlan.For(intent, sources, pool);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var songs = new HashSet<string>(StringComparer.Ordinal);
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
            // source gathers more (Spotify's cheap pages most) for the pool to keep those that can sit on it.
            var asks = active.Select(p => p.Source.NextAsync(Wanted(p, round, pool - found, active.Count, window is not null), cancellationToken)).ToList();
            var gathered = new List<(SpotifyTrack Item, string Source)>();
            try
            {
                for (var i = 0; i < active.Count; i++)
                {
                    foreach (var item in await asks[i])
                    {
                        if (!ids.Add(item.Id) || (item.Isrc is { Length: > 0 } isrc && !ids.Add("isrc:" + isrc)) || !songs.Add(SongKey.Of(item.Artists.Count > 0 ? item.Artists[0] : "", item.Name)))
                        {
                            continue;
                        }

                        if (window is not null)
                        {
                            gathered.Add((item, active[i].Source.Name));
                        }
                        else if (found < pool)
                        {
                            yield return Found(item, active[i].Source.Name, ++found, job);
                        }
                    }
                }
            }
            finally
            {
                await DrainAsync(asks); // asks not read (the job ended): their calls finish (and are cached) first
            }

            if (window is { } w)
            {
                // Spotify's features for the whole gathering (100 a call, cached for the audio-features stage): the pool
                // takes the tracks that can sit on the asked tempo, and keeps the others aside in the sources' order.
                var tempos = await sources.TemposAsync([.. gathered.Select(g => g.Item.Id)], cancellationToken);
                foreach (var (item, source) in gathered)
                {
                    if (tempos.TryGetValue(item.Id, out var bpm) && Fits(bpm, w) && found < pool)
                    {
                        yield return Found(item, source, ++found, job);
                    }
                    else
                    {
                        spares.Add((item, source));
                    }
                }
            }
        }

        // The sources ran dry before the asked tempo filled the pool: the nearest the sequencer can make of the rest.
        foreach (var (item, source) in spares.Take(pool - found))
        {
            yield return Found(item, source, ++found, job);
        }
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

    private static async Task DrainAsync(List<Task<IReadOnlyList<SpotifyTrack>>> asks)
    {
        foreach (var ask in asks)
        {
            try
            {
                await ask;
            }
            catch (OperationCanceledException)
            {
                // The job ended; so did its calls.
            }
        }
    }
}
