using Pipeline.Sandbox.Faults;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox;

public sealed class SandboxUpstreamTests
{
    private static async Task<string> TokenAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "sandbox/spotify-accounts/api/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("id:secret")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        return body.GetProperty("access_token").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetAsync(HttpClient http, string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Fact]
    public async Task Spotify_TokenSearchAndFeatures_SpeakTheWebApiContract()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.Client();
        var token = await TokenAsync(http);

        var (status, body, _) = await GetAsync(http, "sandbox/spotify/v1/search?q=genre:%22electro%20house%22&type=track&limit=10", token);

        Assert.Equal(HttpStatusCode.OK, status);
        var tracks = body.GetProperty("tracks");
        Assert.Equal(10, tracks.GetProperty("items").GetArrayLength());
        Assert.True(tracks.GetProperty("total").GetInt32() > 1000);
        Assert.Contains("offset=10", tracks.GetProperty("next").GetString());
        var first = tracks.GetProperty("items")[0];
        Assert.Matches("^[0-9A-Za-z]{22}$", first.GetProperty("id").GetString()!);
        Assert.StartsWith("QZSBX", first.GetProperty("external_ids").GetProperty("isrc").GetString());

        var ids = string.Join(',', tracks.GetProperty("items").EnumerateArray().Take(2).Select(i => i.GetProperty("id").GetString()).Append("0000000000000000000000"));
        var (_, features, _) = await GetAsync(http, $"sandbox/spotify/v1/audio-features?ids={ids}", token);
        var list = features.GetProperty("audio_features");
        Assert.Equal(3, list.GetArrayLength());
        Assert.True(list[0].GetProperty("tempo").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, list[2].ValueKind);
    }

    [Theory]
    [InlineData(null, "No token provided")]
    [InlineData("made-up", "Invalid access token")]
    public async Task Spotify_WithoutValidToken_401WithSpotifyErrorBody(string? token, string message)
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.Client();

        var (status, body, _) = await GetAsync(http, "sandbox/spotify/v1/search?q=love&type=track", token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Spotify_LimitAboveDevelopmentModeMax_400()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.Client();

        var (status, body, _) = await GetAsync(http, "sandbox/spotify/v1/search?q=love&type=track&limit=11", await TokenAsync(http));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Invalid limit", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Spotify_PastQuota_429WithRetryAfter()
    {
        await using var sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?>
        {
            ["Pipeline:Sandbox:Spotify:QuotaLimit"] = "2",
            ["Pipeline:Sandbox:Spotify:QuotaWindow"] = "00:00:30",
        });
        using var http = sandbox.Client();
        var token = await TokenAsync(http);

        await GetAsync(http, "sandbox/spotify/v1/search?q=love&type=track", token);
        await GetAsync(http, "sandbox/spotify/v1/search?q=love&type=track", token);
        var (status, _, response) = await GetAsync(http, "sandbox/spotify/v1/search?q=love&type=track", token);

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        response.Dispose();
    }

    [Fact]
    public async Task Spotify_AudioFeaturesClosed_403AsForNewApps()
    {
        await using var sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:SpotifyAudioFeaturesForbidden"] = "true" });
        using var http = sandbox.Client();

        var (status, body, _) = await GetAsync(http, "sandbox/spotify/v1/audio-features?ids=6f807x0ima9a1j3VPbc7VN", await TokenAsync(http));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(403, body.GetProperty("error").GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Deezer_TrackByIsrcAndErrors_ErrorsArriveAsHttp200Bodies()
    {
        await using var sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:Deezer:QuotaLimit"] = "3", ["Pipeline:Sandbox:Deezer:QuotaWindow"] = "00:00:05" });
        using var http = sandbox.Client();
        var known = SandboxServer.Catalog.ById("6f807x0ima9a1j3VPbc7VN")!;

        var (status, track, _) = await GetAsync(http, $"sandbox/deezer/track/isrc:{known.Isrc}");
        var (_, search, _) = await GetAsync(http, $"sandbox/deezer/search?q=artist:%22{Uri.EscapeDataString(known.Artist!)}%22%20track:%22{Uri.EscapeDataString(known.Name!)}%22");
        var (missingStatus, missing, _) = await GetAsync(http, "sandbox/deezer/track/isrc:XX0000000000");
        var (quotaStatus, quota, _) = await GetAsync(http, "sandbox/deezer/track/1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(known.DeezerId, track.GetProperty("id").GetInt64());
        Assert.InRange(track.GetProperty("bpm").GetDouble(), 0, 240);
        Assert.Equal(known.DeezerId, search.GetProperty("data")[0].GetProperty("id").GetInt64());
        Assert.False(search.GetProperty("data")[0].TryGetProperty("bpm", out _));
        Assert.Equal((HttpStatusCode.OK, 800), (missingStatus, missing.GetProperty("error").GetProperty("code").GetInt32()));
        Assert.Equal((HttpStatusCode.OK, 4), (quotaStatus, quota.GetProperty("error").GetProperty("code").GetInt32()));
    }

    [Fact]
    public async Task LastFm_MethodsKeyAndQuota_ErrorCodesInTheBody()
    {
        await using var sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:LastFm:QuotaLimit"] = "3", ["Pipeline:Sandbox:LastFm:QuotaWindow"] = "00:00:05" });
        using var http = sandbox.Client();
        var known = SandboxServer.Catalog.ById("6f807x0ima9a1j3VPbc7VN")!;
        var pair = $"artist={Uri.EscapeDataString(known.Artist!)}&track={Uri.EscapeDataString(known.Name!)}";

        var (noKey, noKeyBody, _) = await GetAsync(http, $"sandbox/lastfm/2.0/?method=track.getInfo&{pair}&format=json");
        var (_, info, _) = await GetAsync(http, $"sandbox/lastfm/2.0/?method=track.getInfo&{pair}&api_key=secret-key&format=json");
        var (_, tags, _) = await GetAsync(http, $"sandbox/lastfm/2.0/?method=track.getTopTags&{pair}&api_key=secret-key&format=json");
        var (unknownStatus, unknown, _) = await GetAsync(http, "sandbox/lastfm/2.0/?method=track.getInfo&artist=Nobody&track=Nothing&api_key=secret-key&format=json");
        var (quotaStatus, quota, _) = await GetAsync(http, $"sandbox/lastfm/2.0/?method=artist.getTopTags&{pair}&api_key=secret-key&format=json");

        Assert.Equal((HttpStatusCode.Forbidden, 10), (noKey, noKeyBody.GetProperty("error").GetInt32()));
        Assert.Equal(JsonValueKind.String, info.GetProperty("track").GetProperty("listeners").ValueKind);
        Assert.Contains("dance pop", tags.GetProperty("toptags").GetProperty("tag").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal((HttpStatusCode.OK, 6), (unknownStatus, unknown.GetProperty("error").GetInt32()));
        Assert.Equal((HttpStatusCode.TooManyRequests, 29), (quotaStatus, quota.GetProperty("error").GetInt32()));
        var logged = sandbox.Services.GetRequiredService<SandboxRequestLog>().Snapshot("lastfm");
        Assert.Equal(5, logged.Length);
        Assert.DoesNotContain(logged, r => r.Path.Contains("secret-key", StringComparison.Ordinal));
        Assert.Equal([403, 200, 200, 200, 429], logged.Select(r => r.Status));
    }

    [Fact]
    public async Task RequestLog_Endpoint_ListsServedRequestsPerUpstream()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        using var http = sandbox.Client();
        await GetAsync(http, "sandbox/deezer/track/1");
        await GetAsync(http, "sandbox/deezer/track/2");

        var log = await http.GetFromJsonAsync<JsonElement>("sandbox/requests?upstream=deezer");

        Assert.Equal(["/sandbox/deezer/track/1", "/sandbox/deezer/track/2"], log.EnumerateArray().Select(r => r.GetProperty("path").GetString()));
        Assert.All(log.EnumerateArray(), r => Assert.Equal(200, r.GetProperty("status").GetInt32()));
    }

    [Fact]
    public async Task Malformed_RateOne_BodyIsCutShort()
    {
        await using var sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:Deezer:MalformedRate"] = "1" });
        using var http = sandbox.Client();
        var known = SandboxServer.Catalog.Tracks[0];

        var text = await http.GetStringAsync($"sandbox/deezer/track/{known.DeezerId}");

        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
    }

    [Fact]
    public void Latency_LogNormal_MedianAndP95AsConfigured()
    {
        var gate = new SandboxGate(FixedOptions.Of(new SandboxOptions()), TimeProvider.System);
        var behaviour = new UpstreamBehaviour { MedianLatency = TimeSpan.FromMilliseconds(100), P95Latency = TimeSpan.FromMilliseconds(300) };

        var samples = Enumerable.Range(0, 20_000).Select(i => SandboxGate.Latency(behaviour, gate.Roll("spotify", $"/search?offset={i}")).TotalMilliseconds).Order().ToArray();

        Assert.InRange(samples[10_000], 95, 105);
        Assert.InRange(samples[19_000], 280, 320);
    }

    [Fact]
    public void Roll_SameRequestAloneOrAmongOthers_SameDice_AndItsRepeatDrawsAnew()
    {
        var alone = new SandboxGate(FixedOptions.Of(new SandboxOptions()), TimeProvider.System);
        var busy = new SandboxGate(FixedOptions.Of(new SandboxOptions()), TimeProvider.System);
        for (var i = 0; i < 50; i++)
        {
            busy.Roll("spotify", $"/search?q=rock&offset={i}");
        }

        var first = alone.Roll("spotify", "/search?q=bossa");
        Assert.Equal(first, busy.Roll("spotify", "/search?q=bossa"));
        Assert.NotEqual(first, alone.Roll("spotify", "/search?q=bossa")); // a retry is not doomed to repeat a failure
        Assert.NotEqual(first, alone.Roll("deezer", "/search?q=bossa"));
        Assert.NotEqual(first, new SandboxGate(FixedOptions.Of(new SandboxOptions { Seed = 2 }), TimeProvider.System).Roll("spotify", "/search?q=bossa"));
    }
}
