using System.Globalization;
using Pipeline.Sandbox.Catalog;
using Pipeline.Sandbox.Faults;

namespace Pipeline.Sandbox.Upstreams;

/// <summary>
/// Last.fm 2.0's track.getInfo, track.getTopTags, artist.getTopTags, tag.getTopTracks, track.getSimilar and
/// artist.getSimilar over the catalog; errors are bodies, the status unreliable.
/// </summary>
internal sealed class LastFmSandbox(MusicCatalog catalog, SandboxGate gate)
{
    public const string Upstream = "lastfm";

    public async Task<IResult> CallAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        if (string.IsNullOrWhiteSpace(query["api_key"]))
        {
            return Error(10, "Invalid API key - You must be granted a valid key by last.fm", StatusCodes.Status403Forbidden);
        }

        var (verdict, _) = await gate.EnterAsync(Upstream, SandboxGate.KeyOf(request), gate.Options.LastFm, cancellationToken);
        switch (verdict)
        {
            case SandboxVerdict.OverQuota:
                return Error(29, "Rate Limit Exceeded - Your IP has made too many requests in a short period", StatusCodes.Status429TooManyRequests);
            case SandboxVerdict.Fail:
                return Error(11, "Service Offline - This service is temporarily offline. Try again later.", StatusCodes.Status503ServiceUnavailable);
        }

        var malformed = verdict == SandboxVerdict.Malform;
        var artist = query["artist"].ToString();
        var title = query["track"].ToString();
        return query["method"].ToString().ToLowerInvariant() switch
        {
            "track.getinfo" => TrackInfo(artist, title, malformed),
            "track.gettoptags" => TrackTopTags(artist, title, malformed),
            "artist.gettoptags" => ArtistTopTags(artist, malformed),
            "tag.gettoptracks" => TagTopTracks(query["tag"].ToString(), Int(query, "limit", 50), Int(query, "page", 1), malformed),
            "track.getsimilar" => SimilarTracks(artist, title, Int(query, "limit", 100), malformed),
            "artist.getsimilar" => SimilarArtists(artist, Int(query, "limit", 100), malformed),
            _ => Error(3, "Invalid Method - No method with that name in this package"),
        };
    }

    private IResult TrackInfo(string artist, string title, bool malformed)
    {
        if (catalog.ByArtistAndTitle(artist, title) is not { } t)
        {
            return Error(6, "Track not found");
        }

        return SandboxReply.Json(new
        {
            track = new
            {
                name = t.Name,
                mbid = "",
                url = Url(t.Artist!, t.Name),
                // Converted XML: numbers arrive as strings.
                duration = t.DurationMs.ToString(CultureInfo.InvariantCulture),
                listeners = (t.Popularity * 1_713 + 2).ToString(CultureInfo.InvariantCulture),
                playcount = (t.Popularity * 11_047 + 9).ToString(CultureInfo.InvariantCulture),
                artist = new { name = t.Artist, mbid = "", url = Url(t.Artist!, null) },
                album = new { artist = t.Artist, title = t.AlbumName ?? "" },
                toptags = new { tag = t.Tags.Take(5).Select(tag => new { name = tag.Name, url = TagUrl(tag.Name) }) },
            },
        }, malformed: malformed);
    }

    private IResult TrackTopTags(string artist, string title, bool malformed)
    {
        var tags = catalog.ByArtistAndTitle(artist, title)?.Tags ?? [];
        return SandboxReply.Json(new { toptags = new { tag = TagList(tags), @attr = new { artist, track = title } } }, malformed: malformed);
    }

    private IResult ArtistTopTags(string artist, bool malformed)
    {
        var tracks = catalog.ByArtist(artist);
        if (tracks.Count == 0)
        {
            return Error(6, "The artist you supplied could not be found");
        }

        var tags = tracks.SelectMany(t => t.Tags)
            .GroupBy(t => t.Name, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Total: g.Sum(t => t.Count)))
            .OrderByDescending(t => t.Total)
            .ToList();
        var top = tags[0].Total;
        return SandboxReply.Json(new { toptags = new { tag = TagList([.. tags.Select(t => (t.Name, t.Total * 100 / top))]), @attr = new { artist } } }, malformed: malformed);
    }

    private IResult TagTopTracks(string tag, int limit, int page, bool malformed)
    {
        if (tag.Length == 0)
        {
            return Error(6, "Invalid parameters - Your request is missing a required parameter");
        }

        var tracks = catalog.ByTag(tag);
        var items = tracks.Skip((page - 1) * limit).Take(limit).Select((t, i) => new Dictionary<string, object>
        {
            ["name"] = t.Name ?? "",
            ["duration"] = (t.DurationMs / 1000).ToString(CultureInfo.InvariantCulture), // seconds, as a string here
            ["mbid"] = "",
            ["url"] = Url(t.Artist ?? "", t.Name),
            ["streamable"] = new Dictionary<string, string> { ["#text"] = "0", ["fulltrack"] = "0" },
            ["artist"] = new { name = t.Artist ?? "", mbid = "", url = Url(t.Artist ?? "", null) },
            ["image"] = Array.Empty<object>(),
            ["@attr"] = new { rank = ((page - 1) * limit + i + 1).ToString(CultureInfo.InvariantCulture) },
        }).ToList();
        var attr = new Dictionary<string, string>
        {
            ["tag"] = tag,
            ["page"] = page.ToString(CultureInfo.InvariantCulture),
            ["perPage"] = limit.ToString(CultureInfo.InvariantCulture),
            ["totalPages"] = ((tracks.Count + limit - 1) / limit).ToString(CultureInfo.InvariantCulture),
            ["total"] = tracks.Count.ToString(CultureInfo.InvariantCulture),
        };
        return SandboxReply.Json(new { tracks = new Dictionary<string, object> { ["track"] = items.Count == 1 ? items[0] : items, ["@attr"] = attr } }, malformed: malformed);
    }

    private IResult SimilarTracks(string artist, string title, int limit, bool malformed)
    {
        var similar = catalog.ByArtistAndTitle(artist, title) is { } known ? catalog.Similar(known, limit) : [];
        var items = similar.Select(s => new
        {
            name = s.Track.Name ?? "",
            match = s.Match, // a number here, unlike artist.getSimilar
            playcount = (s.Track.Popularity * 11_047) + 9,
            duration = s.Track.DurationMs / 1000,
            artist = new { name = s.Track.Artist ?? "", mbid = "", url = Url(s.Track.Artist ?? "", null) },
        }).ToList();
        return SandboxReply.Json(new { similartracks = new Dictionary<string, object> { ["track"] = items, ["@attr"] = new { artist } } }, malformed: malformed);
    }

    private IResult SimilarArtists(string artist, int limit, bool malformed)
    {
        if (catalog.ByArtist(artist).Count == 0)
        {
            return Error(6, "The artist you supplied could not be found");
        }

        var items = catalog.SimilarArtists(artist, limit).Select(s => new
        {
            name = s.Artist,
            mbid = "",
            match = s.Match.ToString("0.######", CultureInfo.InvariantCulture), // a string here
            url = Url(s.Artist, null),
            image = Array.Empty<object>(),
            streamable = "0",
        }).ToList();
        return SandboxReply.Json(new { similarartists = new Dictionary<string, object> { ["artist"] = items, ["@attr"] = new { artist } } }, malformed: malformed);
    }

    private static int Int(IQueryCollection query, string name, int fallback) =>
        int.TryParse(query[name].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 1000 ? value : fallback;

    // Converted XML again: a list of one arrives as an object, not an array.
    private static object TagList(IReadOnlyList<(string Name, int Count)> tags)
    {
        var items = tags.Select(t => new { count = t.Count, name = t.Name, url = TagUrl(t.Name) }).ToList();
        return items.Count == 1 ? items[0] : items;
    }

    private static IResult Error(int code, string message, int status = StatusCodes.Status200OK) =>
        SandboxReply.Json(new { error = code, message, links = Array.Empty<string>() }, status);

    private static string Url(string artist, string? track) =>
        $"https://www.last.fm/music/{Uri.EscapeDataString(artist)}{(track is null ? "" : "/_/" + Uri.EscapeDataString(track))}";

    private static string TagUrl(string tag) => $"https://www.last.fm/tag/{Uri.EscapeDataString(tag)}";
}
