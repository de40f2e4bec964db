using System.Runtime.CompilerServices;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// A Spotify search query read page by page: the pages a request needs are fetched a few ahead and read in page order,
/// so the tracks come out as a page-by-page search gives them, without a round trip per page.
/// </summary>
internal sealed class SpotifyQuerySource(string name, string query, CandidateSources calls, int maxTracks = int.MaxValue) : CandidateSource(name)
{
    private int _offset;

    public override async IAsyncEnumerable<SpotifyTrack> NextAsync(int wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limit = calls.PageLimit;
        var pages = Offsets(wanted, limit).Select(offset => (Func<Task<SpotifySearchPage?>>)(() => calls.PageAsync(query, offset, limit, cancellationToken)));
        await foreach (var page in CallsAhead.InOrderAsync(pages, Ahead))
        {
            _offset += limit;
            foreach (var track in page?.Items ?? [])
            {
                yield return track;
            }

            if (page is null || page.Items.Count < limit)
            {
                Exhausted = true; // the pages asked after it are past the end
                yield break;
            }
        }

        if (_offset > CandidateSources.MaxOffset || _offset >= maxTracks)
        {
            Exhausted = true;
        }
    }

    /// <summary>The offsets of the pages that bring <paramref name="wanted"/> more tracks, as deep as Spotify and the source allow.</summary>
    private List<int> Offsets(int wanted, int limit)
    {
        var offsets = new List<int>();
        for (var offset = _offset; offsets.Count * limit < wanted && offset <= CandidateSources.MaxOffset && offset < maxTracks; offset += limit)
        {
            offsets.Add(offset);
        }

        return offsets;
    }
}
