using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// The search stage: Spotify track search over the request's queries, de-duplicated, up to the requested count. The
/// pages a query still needs are fetched together (up to <see cref="PagesAhead"/>) and read in page order, so the
/// tracks come out as a page-by-page search would give them, without a round trip per page.
/// </summary>
internal sealed class SearchWork(SpotifyClient spotify, UpstreamCalls calls, IOptions<UpstreamOptions> options, TimeProvider time)
{
    public const string Stage = "search";

    /// <summary>
    /// Pages of one query in flight at once: two halve a long search's round trips and leave most of Spotify's lane
    /// (5 calls at a time) to other jobs; five made a job started beside a 200-track one wait for a slot (BENCHMARKS.md).
    /// </summary>
    private const int PagesAhead = 2;

    private const int MaxOffset = 1000; // Spotify's deepest page

    public async IAsyncEnumerable<Track> RunAsync(SetRequest request, JobContext job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limit = options.Value.Spotify.SearchLimit;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        // The same song often has several ids (single and album versions): one of each is enough.
        var songs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var found = 0;
        foreach (var (query, seed) in PromptQueries.For(request))
        {
            var pages = new Queue<Task<SpotifySearchPage?>>();
            var next = 0;
            try
            {
                while (found < request.TrackCount)
                {
                    // Enough pages in flight for the tracks still wanted, were none a duplicate; a seed needs one.
                    var wanted = seed ? 1 : Math.Min(PagesAhead, (request.TrackCount - found + limit - 1) / limit);
                    for (; pages.Count < wanted && next <= MaxOffset; next += limit)
                    {
                        pages.Enqueue(PageAsync(query, next, limit, request, job, cancellationToken));
                    }

                    if (pages.Count == 0)
                    {
                        break;
                    }

                    var page = await pages.Dequeue();
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
            finally
            {
                await DrainAsync(pages); // pages fetched ahead and not needed: their calls finish (and are cached) first
            }
        }
    }

    private Task<SpotifySearchPage?> PageAsync(string query, int offset, int limit, SetRequest request, JobContext job, CancellationToken cancellationToken) =>
        calls.TryAsync(
            job, Stage, SpotifyClient.Lane, "spotify.search", $"{query}|{offset}|{limit}", request,
            async () => await spotify.SearchTracksAsync(query, limit, offset, job, cancellationToken),
            cancellationToken);

    private static async Task DrainAsync(Queue<Task<SpotifySearchPage?>> pages)
    {
        foreach (var page in pages)
        {
            try
            {
                await page;
            }
            catch (OperationCanceledException)
            {
                // The job ended; so did its calls.
            }
        }
    }
}
