using System.Runtime.CompilerServices;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>Artists Last.fm finds like the named ones, a few of each one's best-known tracks from Spotify, closest artists first.</summary>
internal sealed class SimilarArtistsSource(string artist, CandidateSources calls) : CandidateSource("similar-artists:" + artist)
{
    private const int Artists = 12;
    private const int TracksPerArtist = 3;

    private IReadOnlyList<LastFmArtistRef>? _artists;
    private int _next;

    public override async IAsyncEnumerable<SpotifyTrack> NextAsync(int wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _artists ??= await calls.SimilarArtistsAsync(artist, Artists, cancellationToken) ?? [];
        var batch = _artists.Skip(_next).Take(Math.Max(1, (wanted + TracksPerArtist - 1) / TracksPerArtist)).ToList();
        _next += batch.Count;
        Exhausted = _next >= _artists.Count;
        var pages = batch.Select(a => (Func<Task<SpotifySearchPage?>>)(() => calls.PageAsync($"artist:\"{CandidateSources.Clean(a.Name)}\"", 0, calls.PageLimit, cancellationToken)));
        await foreach (var page in CallsAhead.InOrderAsync(pages, Ahead))
        {
            foreach (var track in (page?.Items ?? []).Take(TracksPerArtist))
            {
                yield return track;
            }
        }
    }
}
