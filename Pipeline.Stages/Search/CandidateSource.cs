using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// One place candidates come from (a Spotify query, a Last.fm tag's top tracks, tracks or artists like the ones
/// named), asked for more as the pool needs them until it runs dry.
/// </summary>
internal abstract class CandidateSource(string name)
{
    /// <summary>Upstream calls one source keeps running at once: enough to fill a lane alone, few enough to share it.</summary>
    protected const int Ahead = 4;

    /// <summary>Where the candidates come from, e.g. <c>tag:techno</c>, <c>genre:hip hop 1990-1999</c>, <c>similar:Daft Punk</c>.</summary>
    public string Name { get; } = name;

    /// <summary>True once the source has nothing more to give.</summary>
    public bool Exhausted { get; protected set; }

    /// <summary>
    /// About <paramref name="wanted"/> more tracks (whole pages), in the source's own order, each as soon as it and
    /// those before it are in.
    /// </summary>
    public abstract IAsyncEnumerable<SpotifyTrack> NextAsync(int wanted, CancellationToken cancellationToken);
}
