using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Sandbox.Catalog;
using Pipeline.Sandbox.Faults;

namespace Pipeline.Sandbox.Upstreams;

/// <summary>Spotify's accounts token endpoint and Web API search and audio-features, over the catalog.</summary>
internal sealed class SpotifySandbox(MusicCatalog catalog, CatalogSearch search, SandboxGate gate, TimeProvider time)
{
    public const string Upstream = "spotify";

    /// <summary>Tokens kept at most: past it the oldest are forgotten (their holders get 401 and ask again).</summary>
    internal const int TokenLimit = 10_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _issued = new();

    public IResult Token(HttpRequest request, IFormCollection form)
    {
        var basic = request.Headers.Authorization.ToString();
        if (!basic.StartsWith("Basic ", StringComparison.Ordinal) || !ValidBasic(basic[6..]) || form["grant_type"] != "client_credentials")
        {
            return SandboxReply.Json(new { error = "invalid_client", error_description = "Invalid client" }, StatusCodes.Status400BadRequest);
        }

        var token = "sbx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var lifetime = gate.Options.SpotifyTokenLifetime;
        _tokens[token] = time.GetUtcNow() + lifetime;
        _issued.Enqueue(token);
        while (_tokens.Count > TokenLimit && _issued.TryDequeue(out var oldest))
        {
            _tokens.TryRemove(oldest, out _);
        }

        return SandboxReply.Json(new { access_token = token, token_type = "Bearer", expires_in = (int)lifetime.TotalSeconds });
    }

    /// <summary>Expires every token issued so far, as a token running out mid-run would: the next call gets 401.</summary>
    public IResult ExpireTokens()
    {
        foreach (var token in _tokens.Keys)
        {
            _tokens[token] = DateTimeOffset.MinValue;
        }

        return TypedResults.NoContent();
    }

    public async Task<IResult> SearchAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (refused, malformed) = await EnterAsync(request, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var q = request.Query["q"].ToString();
        if (q.Length == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "No search query");
        }

        if (!request.Query["type"].ToString().Split(',').Contains("track"))
        {
            return Error(StatusCodes.Status400BadRequest, "Unsupported type");
        }

        var limit = Int(request, "limit", 5);
        var offset = Int(request, "offset", 0);
        if (limit is null || limit < 1 || limit > gate.Options.SpotifySearchMaxLimit)
        {
            return Error(StatusCodes.Status400BadRequest, "Invalid limit");
        }

        if (offset is null || offset < 0 || offset > 1000)
        {
            return Error(StatusCodes.Status400BadRequest, "Invalid offset");
        }

        var matches = search.Find(q);
        var page = matches.Skip(offset.Value).Take(limit.Value).Select(Track).ToList();
        var next = offset + limit < matches.Count ? $"{request.Scheme}://{request.Host}{request.Path}?q={Uri.EscapeDataString(q)}&type=track&limit={limit}&offset={offset + limit}" : null;
        return SandboxReply.Json(new { tracks = new { href = "", limit, offset, total = matches.Count, next, previous = (string?)null, items = page } }, malformed: malformed);
    }

    public async Task<IResult> AudioFeaturesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (refused, malformed) = await EnterAsync(request, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        if (gate.Options.SpotifyAudioFeaturesForbidden)
        {
            return SandboxReply.Json(new { error = new { status = 403 } }, StatusCodes.Status403Forbidden);
        }

        var ids = request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length is 0 or > 100)
        {
            return Error(StatusCodes.Status400BadRequest, ids.Length == 0 ? "Missing ids" : "Too many ids requested");
        }

        var features = ids.Select(id => catalog.ById(id) is { } t ? Features(t) : null).ToList();
        return SandboxReply.Json(new { audio_features = features }, malformed: malformed);
    }

    private async Task<(IResult? Refused, bool Malformed)> EnterAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return (Error(StatusCodes.Status401Unauthorized, "No token provided"), false);
        }

        if (!_tokens.TryGetValue(auth[7..], out var expires))
        {
            return (Error(StatusCodes.Status401Unauthorized, "Invalid access token"), false);
        }

        if (expires <= time.GetUtcNow())
        {
            return (Error(StatusCodes.Status401Unauthorized, "The access token expired"), false);
        }

        var (verdict, retryAfter) = await gate.EnterAsync(Upstream, SandboxGate.KeyOf(request), gate.Options.Spotify, cancellationToken);
        switch (verdict)
        {
            case SandboxVerdict.OverQuota:
                request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return (Error(StatusCodes.Status429TooManyRequests, "API rate limit exceeded"), false);
            case SandboxVerdict.Fail:
                return (Error(StatusCodes.Status503ServiceUnavailable, "Service unavailable"), false);
            default:
                return (null, verdict == SandboxVerdict.Malform);
        }
    }

    private static IResult Error(int status, string message) => SandboxReply.Json(new { error = new { status, message } }, status);

    private static int? Int(HttpRequest request, string name, int fallback) =>
        request.Query[name].ToString() is { Length: > 0 } text ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null : fallback;

    private static bool ValidBasic(string encoded)
    {
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && colon < pair.Length - 1;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static object Track(CatalogTrack t) => new
    {
        id = t.Id,
        name = t.Name ?? "",
        duration_ms = t.DurationMs,
        popularity = t.Popularity,
        artists = new[] { new { id = ArtistId(t.Artist ?? ""), name = t.Artist ?? "" } },
        album = new { name = t.AlbumName ?? "", release_date = t.ReleaseDate, release_date_precision = t.ReleaseDatePrecision },
        external_ids = new { isrc = t.Isrc },
    };

    private static object Features(CatalogTrack t) => new
    {
        id = t.Id,
        danceability = t.Danceability,
        energy = t.Energy,
        key = t.Key,
        loudness = t.Loudness,
        mode = t.Mode,
        speechiness = t.Speechiness,
        acousticness = t.Acousticness,
        instrumentalness = t.Instrumentalness,
        liveness = t.Liveness,
        valence = t.Valence,
        tempo = t.Tempo,
        duration_ms = t.DurationMs,
        time_signature = 4,
    };

    private static string ArtistId(string artist) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(artist)))[..22];
}
