using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Pipeline.Stages.Upstreams;
using Snapshooter.Xunit;

namespace Pipeline.Tests.Stages.Upstreams;

/// <summary>The clients' parsing of the upstreams' real-shaped payloads (from ../shared/contracts/UPSTREAMS.md) and quirks.</summary>
public sealed class UpstreamParsingTests
{
    private static HttpClient Serving(string json, DelegatingHandler? errors = null, HttpStatusCode status = HttpStatusCode.OK)
    {
        var stub = new Stub(json, status);
        HttpMessageHandler handler = stub;
        if (errors is not null)
        {
            errors.InnerHandler = stub;
            handler = errors;
        }

        return new HttpClient(handler) { BaseAddress = new Uri("http://127.0.0.1:9/") };
    }

    [Fact]
    public async Task Spotify_SearchPage_ParsedFromTheDocumentedShape()
    {
        const string Json = """
            {"tracks":{"href":"…","limit":10,"offset":0,"total":812,"next":"https://api.spotify.com/v1/search?offset=10","previous":null,
             "items":[{"id":"0aBcDeFgHiJkLmNoPqRsTu","name":"Night Drive","duration_ms":402000,"popularity":61,
               "artists":[{"id":"1ZyXwVuTsRqPoNmLkJiHgF","name":"Example Artist"}],
               "album":{"name":"Example EP","release_date":"2009","release_date_precision":"year"},
               "external_ids":{"isrc":"GBZZZ0900123"}},
              {"id":"1aBcDeFgHiJkLmNoPqRsTu","name":"No Popularity","duration_ms":1000,
               "artists":[],"album":{"name":"A","release_date":"2009-10","release_date_precision":"month"},"external_ids":{}}]}}
            """;

        var page = await new SpotifyClient(Serving(Json)).SearchTracksAsync("q", 10, 0, null, CancellationToken.None);

        Snapshot.Match(page);
    }

    [Fact]
    public async Task Spotify_AudioFeaturesWithNullEntries_NullsKeptInPlace()
    {
        const string Json = """{"audio_features":[{"id":"0aBcDeFgHiJkLmNoPqRsTu","danceability":0.62,"energy":0.71,"key":9,"loudness":-8.3,"mode":0,"speechiness":0.04,"acousticness":0.01,"instrumentalness":0.88,"liveness":0.11,"valence":0.19,"tempo":128.01,"duration_ms":402000,"time_signature":4},null]}""";

        var features = await new SpotifyClient(Serving(Json)).GetAudioFeaturesAsync(["0aBcDeFgHiJkLmNoPqRsTu", "missing"], null, CancellationToken.None);

        Assert.Equal(new AudioFeatures("0aBcDeFgHiJkLmNoPqRsTu", 128.01, 9, 0, 0.71, 0.62, 0.19, -8.3), features[0]);
        Assert.Null(features[1]);
    }

    [Fact]
    public async Task Spotify_Forbidden_FailsAsForbidden()
    {
        var failure = await Assert.ThrowsAsync<UpstreamException>(() =>
            new SpotifyClient(Serving("""{"error":{"status":403}}""", status: HttpStatusCode.Forbidden)).GetAudioFeaturesAsync(["x"], null, CancellationToken.None));

        Assert.Equal("forbidden", failure.Reason);
    }

    [Fact]
    public async Task Deezer_BpmZero_MeansUnknown()
    {
        const string Json = """{"id":1234567,"title":"Night Drive","isrc":"GBZZZ0900123","duration":402,"rank":512000,"release_date":"2009-10-06","bpm":0,"gain":-9.8,"artist":{"id":42,"name":"Example Artist"},"album":{"id":7654321,"title":"Example EP"}}""";

        var track = await new DeezerClient(Serving(Json, ErrorBodyHandler.Deezer(TimeSpan.FromSeconds(5)))).GetTrackAsync("1234567", null, CancellationToken.None);

        Assert.Equal(new DeezerTrack(1234567, "Night Drive", "Example Artist", "GBZZZ0900123", null, -9.8, 512000), track);
    }

    [Theory]
    [InlineData("""{"error":{"type":"DataException","message":"no data","code":800}}""", null)]
    [InlineData("""{"error":{"type":"Exception","message":"Quota limit exceeded","code":4}}""", "rate_limited")]
    [InlineData("""{"error":{"type":"Exception","message":"busy","code":700}}""", "upstream_5xx")]
    public async Task Deezer_ErrorBodyUnderHttp200_MappedToItsMeaning(string json, string? reason)
    {
        var deezer = new DeezerClient(Serving(json, ErrorBodyHandler.Deezer(TimeSpan.FromSeconds(5))));

        if (reason is null)
        {
            Assert.Null(await deezer.GetTrackAsync("-1", null, CancellationToken.None));
        }
        else
        {
            Assert.Equal(reason, (await Assert.ThrowsAsync<UpstreamException>(() => deezer.GetTrackAsync("1", null, CancellationToken.None))).Reason);
        }
    }

    [Fact]
    public async Task LastFm_SingleTagAsObjectAndStringNumbers_ParsedAsAList()
    {
        const string Json = """{"toptags":{"tag":{"count":"100","name":"house","url":"u"},"@attr":{"artist":"Example Artist","track":"Night Drive"}}}""";

        var tags = await LastFm(Json).GetTrackTopTagsAsync("Example Artist", "Night Drive", null, CancellationToken.None);

        Assert.Equal(("house", 100), (Assert.Single(tags).Name, tags[0].Count));
    }

    [Fact]
    public async Task LastFm_TagTopTracksAndSimilar_TheDocumentedShapes()
    {
        const string TagTop = """{"tracks":{"track":[{"name":"Night Drive","duration":"222","mbid":"","url":"u","streamable":{"#text":"0","fulltrack":"0"},"artist":{"name":"Example Artist","mbid":"","url":"u"},"image":[{"#text":"i","size":"small"}],"@attr":{"rank":"1"}}],"@attr":{"tag":"disco","page":"1","perPage":"50","totalPages":"1","total":"1"}}}""";
        const string Similar = """{"similartracks":{"track":[{"name":"Day Drive","match":0.83,"playcount":120455,"duration":402,"artist":{"name":"Other Artist","mbid":"","url":"u"}}],"@attr":{"artist":"Example Artist"}}}""";
        const string Artists = """{"similarartists":{"artist":[{"name":"Other Artist","mbid":"","match":"0.87","url":"u","image":[],"streamable":"0"}],"@attr":{"artist":"Example Artist"}}}""";

        var top = await LastFm(TagTop).GetTagTopTracksAsync("disco", 50, null, CancellationToken.None);
        var similar = await LastFm(Similar).GetSimilarTracksAsync("Example Artist", "Night Drive", 10, null, CancellationToken.None);
        var artists = await LastFm(Artists).GetSimilarArtistsAsync("Example Artist", 10, null, CancellationToken.None);

        Assert.Equal(("Example Artist", "Night Drive"), (Assert.Single(top).Artist, top[0].Name));
        Assert.Equal(new LastFmTrackRef("Other Artist", "Day Drive", 0.83), Assert.Single(similar));
        Assert.Equal(new LastFmArtistRef("Other Artist", 0.87), Assert.Single(artists));
    }

    [Theory]
    [InlineData("""{"error":6,"message":"Track not found","links":[]}""", null)]
    [InlineData("""{"error":29,"message":"Rate Limit Exceeded"}""", "rate_limited")]
    [InlineData("""{"error":26,"message":"Suspended API key"}""", "forbidden")]
    [InlineData("""{"error":11,"message":"Service Offline"}""", "upstream_5xx")]
    public async Task LastFm_ErrorBodies_MappedToTheirMeaning(string json, string? reason)
    {
        var lastfm = LastFm(json);

        if (reason is null)
        {
            Assert.Empty(await lastfm.GetSimilarArtistsAsync("a", 5, null, CancellationToken.None));
        }
        else
        {
            Assert.Equal(reason, (await Assert.ThrowsAsync<UpstreamException>(() => lastfm.GetTrackTopTagsAsync("a", "b", null, CancellationToken.None))).Reason);
        }
    }

    [Fact]
    public async Task LastFm_UnknownTrackTopTags_EmptyList()
    {
        var tags = await LastFm("""{"toptags":{"tag":[],"@attr":{"artist":"a","track":"b"}}}""").GetTrackTopTagsAsync("a", "b", null, CancellationToken.None);

        Assert.Empty(tags);
    }

    private static LastFmClient LastFm(string json) =>
        new(Serving(json, ErrorBodyHandler.LastFm(TimeSpan.FromSeconds(5))), Options.Create(new UpstreamOptions()));

    private sealed class Stub(string json, HttpStatusCode status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json"), RequestMessage = request });
    }
}
