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

    public override async Task<IReadOnlyList<SpotifyTrack>> NextAsync(int wanted, CancellationToken cancellationToken)
    {
        _refs ??= await fetch(cancellationToken) ?? [];
        var batch = _refs.Skip(_next).Take(wanted).ToList();
        _next += batch.Count;
        Exhausted = _next >= _refs.Count;
        var found = await Task.WhenAll(batch.Select(r => calls.ResolveAsync(r, cancellationToken)));
        return [.. found.OfType<SpotifyTrack>()];
    }
}
