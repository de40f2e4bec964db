using Pipeline.Stages.Upstreams;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Upstreams;

public sealed class UpstreamClientTests
{
    private static readonly Pipeline.Sandbox.Catalog.CatalogTrack Known = SandboxServer.Catalog.ById("6f807x0ima9a1j3VPbc7VN")!;

    [Fact]
    public async Task Spotify_SearchesAndFeatures_OneTokenServesEveryCall()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();
        var spotify = upstreams.Get<SpotifyClient>();
        var job = upstreams.Jobs.Start();

        var page = await spotify.SearchTracksAsync("genre:\"progressive electro house\"", 10, 0, job, CancellationToken.None);
        var second = await spotify.SearchTracksAsync("genre:\"progressive electro house\"", 10, 10, job, CancellationToken.None);
        var features = await spotify.GetAudioFeaturesAsync([.. page.Items.Select(t => t.Id), "0000000000000000000000"], job, CancellationToken.None);

        Assert.Equal(10, page.Items.Count);
        Assert.Empty(page.Items.Select(t => t.Id).Intersect(second.Items.Select(t => t.Id)));
        Assert.Equal(11, features.Count);
        Assert.All(features.Take(10), f => Assert.InRange(f!.Tempo, 1, 250));
        Assert.Null(features[10]);
        var requests = upstreams.Requests("spotify");
        Assert.Single(requests, r => r.Path.EndsWith("/api/token", StringComparison.Ordinal));
        Assert.Equal(3, job.Budget.Used); // the token call belongs to no job
    }

    [Fact]
    public async Task Spotify_TokenExpiredMidRun_OneNewTokenAndTheCallSucceeds()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();
        var spotify = upstreams.Get<SpotifyClient>();
        await spotify.SearchTracksAsync("love", 5, 0, null, CancellationToken.None);
        using (var http = upstreams.Sandbox.Client())
        {
            (await http.PostAsync(new Uri("sandbox/spotify-accounts/expire", UriKind.Relative), null)).Dispose();
        }

        var page = await spotify.SearchTracksAsync("love", 5, 5, null, CancellationToken.None);

        Assert.Equal(5, page.Items.Count);
        var log = upstreams.Requests("spotify");
        Assert.Equal(2, log.Count(r => r.Path.EndsWith("/api/token", StringComparison.Ordinal)));
        Assert.Equal([200, 200, 401, 200, 200], log.Select(r => r.Status)); // token, search, expired search, token, search
    }

    [Fact]
    public async Task Spotify_TokenFetchNestedInsideTheOnlySlotOfItsLane_DoesNotDeadlock()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?> { ["Pipeline:Throttle:Lanes:spotify"] = "1" });

        var page = await upstreams.Get<SpotifyClient>().SearchTracksAsync("love", 5, 0, null, CancellationToken.None).Within();

        Assert.Equal(5, page.Items.Count);
    }

    [Fact]
    public async Task Spotify_429WithRetryAfter_LanePausedNoCallBeforeItAndRetrySucceeds()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            // Two per three seconds: the three quick calls after the first overflow it however slow the first was.
            ["Pipeline:Sandbox:Spotify:QuotaLimit"] = "2",
            ["Pipeline:Sandbox:Spotify:QuotaWindow"] = "00:00:03",
        });
        var spotify = upstreams.Get<SpotifyClient>();

        for (var i = 0; i < 4; i++)
        {
            await spotify.SearchTracksAsync("love", 5, 0, null, CancellationToken.None).Within();
        }

        var api = upstreams.Requests("spotify").Where(r => r.Path.Contains("/v1/", StringComparison.Ordinal)).ToList();
        var refused = Assert.Single(api, r => r.Status == 429);
        var next = api[api.IndexOf(refused) + 1];
        Assert.Equal(200, next.Status);
        Assert.True(next.At - refused.At >= TimeSpan.FromSeconds(1), $"retried {next.At - refused.At} after the 429");
    }

    [Fact]
    public async Task Deezer_QuotaErrorBodyUnderHttp200_TreatedAsRateLimitPausedAndRetried()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(
            new Dictionary<string, string?> { ["Pipeline:Sandbox:Deezer:QuotaLimit"] = "2", ["Pipeline:Sandbox:Deezer:QuotaWindow"] = "00:00:01" },
            new Dictionary<string, string?> { ["Pipeline:Upstreams:Deezer:QuotaPause"] = "00:00:01" });
        var deezer = upstreams.Get<DeezerClient>();

        var tracks = new List<DeezerTrack?>();
        for (var i = 0; i < 3; i++)
        {
            tracks.Add(await deezer.GetByIsrcAsync(Known.Isrc, null, CancellationToken.None).Within());
        }

        Assert.All(tracks, t => Assert.Equal(Known.DeezerId, t!.Id));
        var log = upstreams.Requests("deezer");
        Assert.Equal(4, log.Count); // two served, one quota body, one retry after the pause
        Assert.True(log[3].At - log[2].At >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Deezer_UnknownIsrcAndSearch_NullNotFailure()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();
        var deezer = upstreams.Get<DeezerClient>();

        var missing = await deezer.GetByIsrcAsync("XX0000000000", null, CancellationToken.None);
        var found = await deezer.SearchAsync(Known.Artist!, Known.Name!, null, CancellationToken.None);

        Assert.Null(missing);
        Assert.Equal(Known.DeezerId, found!.Id);
        Assert.Null(found.Bpm); // search items carry no BPM
    }

    [Fact]
    public async Task Upstream5xx_EveryRetryAttemptTakesBudgetThenFails()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:Deezer:ErrorRate"] = "1" });
        var job = upstreams.Jobs.Start();

        var failure = await Assert.ThrowsAsync<UpstreamException>(() => upstreams.Get<DeezerClient>().GetTrackAsync("1", job, CancellationToken.None));

        Assert.Equal("upstream_5xx", failure.Reason);
        Assert.Equal(4, upstreams.Requests("deezer").Count);
        Assert.Equal(4, job.Budget.Used);
    }

    [Fact]
    public async Task CallQueuedForItsPermitLongerThanTheAttemptTimeout_NeitherTimedOutNorRetried()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Pipeline:Throttle:Lanes:deezer"] = "1",
            ["Pipeline:Upstreams:Resilience:AttemptTimeout"] = "00:00:00.200",
            ["Pipeline:Upstreams:Resilience:MaxRetries"] = "1",
        });
        var job = upstreams.Jobs.Start();
        // The lane's only slot, held from another flow (a call in the holder's own flow would borrow it).
        var holder = await Task.Run(() => upstreams.Throttle.AcquireAsync("deezer", null, CancellationToken.None).AsTask());

        var call = upstreams.Get<DeezerClient>().GetTrackAsync(Known.DeezerId.ToString(System.Globalization.CultureInfo.InvariantCulture), job, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1)); // five attempt timeouts' worth of queueing: both attempts would have timed out
        Assert.False(call.IsCompleted);
        holder.Dispose();

        Assert.Equal(Known.DeezerId, (await call.Within())!.Id);
        Assert.Single(upstreams.Requests("deezer"));
        Assert.Equal(1, job.Budget.Used);
    }

    [Fact]
    public async Task MalformedJson_FailsAsMalformed()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:Spotify:MalformedRate"] = "1" });

        var failure = await Assert.ThrowsAsync<UpstreamException>(() => upstreams.Get<SpotifyClient>().SearchTracksAsync("love", 5, 0, null, CancellationToken.None));

        Assert.Equal(("spotify", "malformed"), (failure.Lane, failure.Reason));
    }

    [Fact]
    public async Task LastFm_TagsTagTopTracksAndSimilar_ParsedFromConvertedXml()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();
        var lastfm = upstreams.Get<LastFmClient>();

        var tags = await lastfm.GetTrackTopTagsAsync(Known.Artist!, Known.Name!, null, CancellationToken.None);
        var artistTags = await lastfm.GetArtistTopTagsAsync(Known.Artist!, null, CancellationToken.None);
        var lofi = await lastfm.GetTagTopTracksAsync("Lo-Fi", 20, null, CancellationToken.None);
        var similar = await lastfm.GetSimilarTracksAsync(Known.Artist!, Known.Name!, 10, null, CancellationToken.None);
        var artists = await lastfm.GetSimilarArtistsAsync("Daft Punk", 5, null, CancellationToken.None);
        var unknownTag = await lastfm.GetTagTopTracksAsync("no such tag at all", 20, null, CancellationToken.None);
        var unknownArtist = await lastfm.GetSimilarArtistsAsync("Nobody Anybody", 5, null, CancellationToken.None);

        Assert.Contains(tags, t => t.Name == "dance pop" && t.Count == 100);
        Assert.NotEmpty(artistTags);
        Assert.Equal(20, lofi.Count); // the catalog's lo-fi playlists, by their names
        Assert.All(lofi, t => Assert.Contains(SandboxServer.Catalog.ByArtistAndTitle(t.Artist, t.Name)!.Tags, tag => tag.Name == "lo-fi"));
        Assert.Equal(10, similar.Count);
        Assert.DoesNotContain(similar, t => t.Artist == Known.Artist && t.Name == Known.Name);
        Assert.True(similar[0].Match >= similar[^1].Match);
        Assert.Equal(5, artists.Count);
        Assert.Empty(unknownTag);
        Assert.Empty(unknownArtist);
        Assert.DoesNotContain(upstreams.Requests("lastfm"), r => r.Path.Contains("api_key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Budget_Spent_CallRefusedBeforeAnyRequest()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?> { ["Pipeline:Jobs:CallBudget"] = "1" });
        var job = upstreams.Jobs.Start();
        var deezer = upstreams.Get<DeezerClient>();
        await deezer.GetTrackAsync(Known.DeezerId.ToString(System.Globalization.CultureInfo.InvariantCulture), job, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<Pipeline.Throttling.ThrottleRejectedException>(() => deezer.GetTrackAsync("1", job, CancellationToken.None));

        Assert.Equal(Pipeline.Throttling.ThrottleRejectionReason.BudgetExhausted, refused.Reason);
        Assert.Single(upstreams.Requests("deezer"));
    }
}
