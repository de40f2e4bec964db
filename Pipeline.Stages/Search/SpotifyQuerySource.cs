using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// A Spotify search query read page by page: the pages a request needs are fetched together and read in page order,
/// so the tracks come out as a page-by-page search gives them, without a round trip per page.
/// </summary>
internal sealed class SpotifyQuerySource(string name, string query, CandidateSources calls, int maxTracks = int.MaxValue) : CandidateSource(name)
{
    /// <summary>Pages of one query in flight at once: a long search's round trips halved, most of the lane left to other jobs.</summary>
    private const int PagesAhead = 2;

    private int _offset;

    public override async Task<IReadOnlyList<SpotifyTrack>> NextAsync(int wanted, CancellationToken cancellationToken)
    {
        var tracks = new List<SpotifyTrack>();
        var limit = calls.PageLimit;
        while (tracks.Count < wanted && !Exhausted)
        {
            var pages = new List<Task<SpotifySearchPage?>>();
            for (var i = 0; i < PagesAhead && pages.Count * limit < wanted - tracks.Count && _offset <= CandidateSources.MaxOffset && _offset < maxTracks; i++, _offset += limit)
            {
                pages.Add(calls.PageAsync(query, _offset, limit, cancellationToken));
            }

            if (pages.Count == 0)
            {
                Exhausted = true;
                break;
            }

            foreach (var page in await Task.WhenAll(pages))
            {
                tracks.AddRange(page?.Items ?? []);
                if (page is null || page.Items.Count < limit)
                {
                    Exhausted = true;
                }
            }
        }

        if (_offset > CandidateSources.MaxOffset || _offset >= maxTracks)
        {
            Exhausted = true;
        }

        return tracks;
    }
}
