using System.Net;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Tests.Stages.Upstreams;

public sealed class ClosableEndpointTests
{
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Breaker_Two403s_ShutForTheRecheckTimeThenOneCallTriesAgain()
    {
        var (endpoint, time, sent) = Build(HttpStatusCode.Forbidden);

        await SendAsync(endpoint);
        await SendAsync(endpoint);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => SendAsync(endpoint));
        time.Advance(Recheck - TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<BrokenCircuitException>(() => SendAsync(endpoint));
        time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(endpoint);

        Assert.Equal(3, sent());
    }

    [Fact]
    public async Task Breaker_Two5xx_ShutForPollysUsualBreakOnly()
    {
        var (endpoint, time, sent) = Build(HttpStatusCode.ServiceUnavailable);

        await SendAsync(endpoint);
        await SendAsync(endpoint);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => SendAsync(endpoint));
        time.Advance(new CircuitBreakerStrategyOptions().BreakDuration);
        await SendAsync(endpoint);

        Assert.Equal(3, sent());
    }

    [Theory]
    [InlineData("https://api.spotify.com/v1/audio-features?ids=a,b", SpotifyClient.FeaturesEndpoint)]
    [InlineData("http://127.0.0.1:5000/sandbox/spotify/v1/audio-features?ids=a", SpotifyClient.FeaturesEndpoint)]
    [InlineData("https://api.spotify.com/v1/search?q=audio-features&type=track", "")]
    public void EndpointOf_FeaturesApart_TheRestOneEndpoint(string url, string endpoint) =>
        Assert.Equal(endpoint, SpotifyClient.EndpointOf(new HttpRequestMessage(HttpMethod.Get, url)));

    [Theory]
    [InlineData("forbidden", true)]
    [InlineData("not_found", true)]
    [InlineData("upstream_5xx", false)]
    public void IsUnavailable_OnlyAClosedEndpointOrItsOpenCircuit(string reason, bool unavailable)
    {
        Assert.Equal(unavailable, ClosableEndpoint.IsUnavailable(new UpstreamException(SpotifyClient.Lane, reason, "x")));
        Assert.True(ClosableEndpoint.IsUnavailable(new BrokenCircuitException()));
    }

    private static (Endpoint Endpoint, FakeTimeProvider Time, Func<int> Sent) Build(HttpStatusCode status)
    {
        var time = new FakeTimeProvider();
        var endpoint = new Endpoint(status, new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }.AddCircuitBreaker(ClosableEndpoint.Breaker(Recheck)).Build());
        return (endpoint, time, () => endpoint.Sent);
    }

    private static async Task SendAsync(Endpoint endpoint) =>
        (await endpoint.Pipeline.ExecuteAsync(_ => ValueTask.FromResult(endpoint.Answer()), CancellationToken.None)).Dispose();

    /// <summary>An upstream endpoint that always answers <paramref name="status"/>, behind the breaker.</summary>
    private sealed class Endpoint(HttpStatusCode status, ResiliencePipeline<HttpResponseMessage> pipeline)
    {
        public ResiliencePipeline<HttpResponseMessage> Pipeline => pipeline;

        public int Sent { get; private set; }

        public HttpResponseMessage Answer()
        {
            Sent++;
            return new HttpResponseMessage(status);
        }
    }
}
