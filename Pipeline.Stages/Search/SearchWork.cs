using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>The search stage: Spotify track search over the request's queries, de-duplicated, up to the requested count.</summary>
internal sealed class SearchWork(SpotifyClient spotify, UpstreamCalls calls, IOptions<UpstreamOptions> options, TimeProvider time)
{
    public const string Stage = "search";

    public async IAsyncEnumerable<Track> RunAsync(SetRequest request, JobContext job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limit = options.Value.Spotify.SearchLimit;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        // The same song often has several ids (single and album versions): one of each is enough.
        var songs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var found = 0;
        foreach (var (query, seed) in PromptQueries.For(request))
        {
            for (var offset = 0; found < request.TrackCount && offset <= 1000; offset += limit)
            {
                var pageOffset = offset;
                var page = await calls.TryAsync(
                    job, Stage, SpotifyClient.Lane, "spotify.search", $"{query}|{pageOffset}|{limit}", request,
                    async () => await spotify.SearchTracksAsync(query, limit, pageOffset, job, cancellationToken),
                    cancellationToken);
                foreach (var item in (page?.Items ?? []).Take(seed ? 1 : limit))
                {
                    if (found == request.TrackCount || !ids.Add(item.Id) || !songs.Add($"{string.Join(',', item.Artists)}|{item.Name}"))
                    {
                        continue;
                    }

                    var track = new Track(item.Id, item.Name, item.Artists, item.Album, item.ReleaseDate, item.DurationMs, item.Isrc, ++found);
                    job.Events.Publish(new TrackFound(job.Id, time.GetUtcNow(), track));
                    yield return track;
                }

                if (seed || page is null || page.Items.Count < limit)
                {
                    break;
                }
            }
        }
    }
}
