using System.Runtime.CompilerServices;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// Tracks Last.fm names (a tag's top tracks, tracks like a seed), read once, each found on Spotify by artist and title
/// as the pool asks for more; those found are handed out in Last.fm's order.
/// </summary>
internal sealed class LastFmTrackSource(string name, Func<CancellationToken, Task<IReadOnlyList<LastFmTrackRef>?>> fetch, CandidateSources calls) : CandidateSource(name)
{
    private IReadOnlyList<LastFmTrackRef>? _refs;
    private int _next;

    public override async IAsyncEnumerable<SpotifyTrack> NextAsync(int wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _refs ??= await fetch(cancellationToken) ?? [];
        var batch = _refs.Skip(_next).Take(wanted).ToList();
        _next += batch.Count;
        Exhausted = _next >= _refs.Count;
        await foreach (var track in CallsAhead.InOrderAsync(batch.Select(r => (Func<Task<SpotifyTrack?>>)(() => calls.ResolveAsync(r, cancellationToken))), Ahead))
        {
            if (track is not null)
            {
                yield return track;
            }
        }
    }
}
