namespace Pipeline.Stages.Upstreams;

/// <summary>A track as Spotify search returns it.</summary>
/// <param name="Id">Spotify id.</param>
/// <param name="Name">Title.</param>
/// <param name="Artists">Artist names.</param>
/// <param name="Album">Album title.</param>
/// <param name="ReleaseDate">Release date, possibly year-only.</param>
/// <param name="DurationMs">Length in ms.</param>
/// <param name="Popularity">0–100, when sent (dropped for development-mode apps).</param>
/// <param name="Isrc">ISRC, when sent.</param>
public sealed record SpotifyTrack(string Id, string Name, IReadOnlyList<string> Artists, string? Album, string? ReleaseDate, int DurationMs, int? Popularity, string? Isrc);

/// <summary>One page of Spotify search results.</summary>
/// <param name="Items">The tracks.</param>
/// <param name="Total">Matches in all.</param>
public sealed record SpotifySearchPage(IReadOnlyList<SpotifyTrack> Items, int Total);

/// <summary>Spotify audio features of one track.</summary>
/// <param name="Id">Spotify id.</param>
/// <param name="Tempo">BPM.</param>
/// <param name="Key">Pitch class 0–11, -1 when none was detected.</param>
/// <param name="Mode">1 major, 0 minor.</param>
/// <param name="Energy">0–1.</param>
/// <param name="Danceability">0–1.</param>
/// <param name="Valence">0–1.</param>
/// <param name="Loudness">dB.</param>
public sealed record AudioFeatures(string Id, double Tempo, int Key, int Mode, double Energy, double Danceability, double Valence, double Loudness);

/// <summary>A Deezer track.</summary>
/// <param name="Id">Deezer id.</param>
/// <param name="Title">Title.</param>
/// <param name="Artist">Artist name.</param>
/// <param name="Isrc">ISRC, on full track objects.</param>
/// <param name="Bpm">BPM; null when Deezer never analysed the track (it sends 0).</param>
/// <param name="Gain">Replay gain, dB.</param>
/// <param name="Rank">Popularity rank.</param>
public sealed record DeezerTrack(long Id, string Title, string Artist, string? Isrc, double? Bpm, double? Gain, int? Rank);

/// <summary>A Last.fm tag.</summary>
/// <param name="Name">The tag.</param>
/// <param name="Count">Weight 0–100.</param>
public sealed record LastFmTag(string Name, int Count);

/// <summary>A track Last.fm names (in a tag's top tracks or as similar to another): artist and title, to be found on Spotify.</summary>
/// <param name="Artist">Artist name.</param>
/// <param name="Name">Title.</param>
/// <param name="Match">How closely it fits, 0–1.</param>
public sealed record LastFmTrackRef(string Artist, string Name, double Match);

/// <summary>An artist Last.fm names as similar to another.</summary>
/// <param name="Name">Artist name.</param>
/// <param name="Match">How similar, 0–1.</param>
public sealed record LastFmArtistRef(string Name, double Match);
