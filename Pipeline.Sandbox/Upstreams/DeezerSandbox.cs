using System.Globalization;
using Pipeline.Sandbox.Catalog;
using Pipeline.Sandbox.Faults;

namespace Pipeline.Sandbox.Upstreams;

/// <summary>Deezer's public search and track endpoints; errors, the quota included, arrive as HTTP 200 bodies.</summary>
internal sealed class DeezerSandbox(MusicCatalog catalog, CatalogSearch search, SandboxGate gate)
{
    public const string Upstream = "deezer";

    public async Task<IResult> SearchAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (refused, malformed) = await EnterAsync(SandboxGate.KeyOf(request), cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var q = request.Query["q"].ToString();
        if (q.Length == 0)
        {
            return Error("ParameterException", "Wrong parameter", 500);
        }

        var index = int.TryParse(request.Query["index"], CultureInfo.InvariantCulture, out var i) ? Math.Max(0, i) : 0;
        var limit = int.TryParse(request.Query["limit"], CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 100) : 25;
        var matches = search.Find(q);
        var data = matches.Skip(index).Take(limit).Select(t => new
        {
            id = t.DeezerId,
            title = t.Name ?? "",
            title_short = t.Name ?? "",
            duration = t.DurationMs / 1000,
            rank = Rank(t),
            preview = $"https://cdns-preview.sandbox.invalid/{t.DeezerId}.mp3",
            artist = new { id = ArtistId(t), name = t.Artist ?? "" },
            album = new { id = AlbumId(t), title = t.AlbumName ?? "" },
            type = "track",
        }).ToList();
        var next = index + limit < matches.Count ? $"{request.Scheme}://{request.Host}{request.Path}?q={Uri.EscapeDataString(q)}&index={index + limit}" : null;
        return SandboxReply.Json(next is null ? new { data, total = matches.Count } : new { data, total = matches.Count, next }, malformed: malformed);
    }

    public async Task<IResult> TrackAsync(string id, CancellationToken cancellationToken)
    {
        var (refused, malformed) = await EnterAsync("/track/" + id, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var track = id.StartsWith("isrc:", StringComparison.OrdinalIgnoreCase)
            ? catalog.ByIsrc(id[5..])
            : long.TryParse(id, CultureInfo.InvariantCulture, out var numeric) ? catalog.ByDeezerId(numeric) : null;
        if (track is null)
        {
            return Error("DataException", "no data", 800);
        }

        // Deezer never analysed some tracks: they report bpm 0. Which ones is fixed per track, not per request.
        var analysed = (track.DeezerId % 1000) >= gate.Options.DeezerBpmMissingRate * 1000;
        return SandboxReply.Json(new
        {
            id = track.DeezerId,
            title = track.Name ?? "",
            isrc = track.Isrc,
            duration = track.DurationMs / 1000,
            rank = Rank(track),
            release_date = track.ReleaseDate.Length == 10 ? track.ReleaseDate : track.ReleaseDate[..4] + "-01-01",
            bpm = analysed ? Math.Round(track.Tempo, 1) : 0,
            gain = Math.Round(track.Loudness - 1.2, 1),
            artist = new { id = ArtistId(track), name = track.Artist ?? "" },
            album = new { id = AlbumId(track), title = track.AlbumName ?? "", release_date = track.ReleaseDate },
        }, malformed: malformed);
    }

    private async Task<(IResult? Refused, bool Malformed)> EnterAsync(string request, CancellationToken cancellationToken)
    {
        var (verdict, _) = await gate.EnterAsync(Upstream, request, gate.Options.Deezer, cancellationToken);
        return verdict switch
        {
            SandboxVerdict.OverQuota => (Error("Exception", "Quota limit exceeded", 4), false),
            SandboxVerdict.Fail => (Results.Text("<html><body>502 Bad Gateway</body></html>", "text/html", statusCode: StatusCodes.Status502BadGateway), false),
            _ => (null, verdict == SandboxVerdict.Malform),
        };
    }

    private static IResult Error(string type, string message, int code) => SandboxReply.Json(new { error = new { type, message, code } });

    private static int Rank(CatalogTrack t) => (t.Popularity * 9_000) + 10_000;

    private static long ArtistId(CatalogTrack t) => 1_000 + (MusicCatalog.Hash(t.Artist ?? "") % 9_000_000);

    private static long AlbumId(CatalogTrack t) => 10_000_000 + (MusicCatalog.Hash(t.AlbumId) % 90_000_000);
}
