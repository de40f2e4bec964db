using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>The songs a search has taken: one version of each, whatever its Spotify id, ISRC or title's version.</summary>
internal sealed class SeenSongs
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly HashSet<string> _songs = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="track"/> is a song not seen before; it is seen from now on.</summary>
    public bool Add(SpotifyTrack track) =>
        _ids.Add(track.Id)
        && (track.Isrc is not { Length: > 0 } isrc || _ids.Add("isrc:" + isrc))
        && _songs.Add(SongKey.Of(track.Artists.Count > 0 ? track.Artists[0] : "", track.Name));
}
