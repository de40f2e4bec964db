using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Music;

/// <summary>A candidate track, filled in as it passes the stages.</summary>
/// <param name="Id">Spotify id.</param>
/// <param name="Title">Title.</param>
/// <param name="Artists">Artist names.</param>
/// <param name="Album">Album title.</param>
/// <param name="ReleaseDate">Release date, possibly year-only.</param>
/// <param name="DurationMs">Length in ms.</param>
/// <param name="Isrc">ISRC, when known.</param>
/// <param name="Index">Position in the job's candidate list, from 1.</param>
public sealed record Track(string Id, string Title, IReadOnlyList<string> Artists, string? Album, string? ReleaseDate, int DurationMs, string? Isrc, int Index)
{
    /// <summary>Spotify audio features, when the endpoint answered.</summary>
    public AudioFeatures? Features { get; init; }

    /// <summary>Tempo in BPM, from Spotify or else Deezer.</summary>
    public double? Bpm { get; init; }

    /// <summary>Where <see cref="Bpm"/> came from: <c>spotify</c> or <c>deezer</c>.</summary>
    public string? BpmSource { get; init; }

    /// <summary>Camelot key, when Spotify gave key and mode.</summary>
    public string? Camelot { get; init; }

    /// <summary>Deezer replay gain, dB.</summary>
    public double? Gain { get; init; }

    /// <summary>Deezer rank.</summary>
    public int? DeezerRank { get; init; }

    /// <summary>Last.fm tags, strongest first.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Where search found it: <c>seed</c>, <c>tag:techno</c>, <c>genre:hip hop year:1990-1999</c>, <c>similar:…</c>.</summary>
    public string? Source { get; init; }

    /// <summary>The release year, when the date is known.</summary>
    public int? ReleaseYear => ReleaseDate is { Length: >= 4 } d && int.TryParse(d.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture, out var y) ? y : null;

    /// <summary>The first artist.</summary>
    public string Artist => Artists.Count > 0 ? Artists[0] : "";

    /// <inheritdoc />
    public override string ToString() => $"{Artist} – {Title}";
}
