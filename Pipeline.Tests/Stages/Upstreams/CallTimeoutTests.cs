using System.Net;
using Pipeline.Stages.Upstreams;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Upstreams;

/// <summary>A call's total timeout counts the upstream's time, never the wait for a throttle permit.</summary>
public sealed class CallTimeoutTests
{
    private static readonly TimeSpan Total = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task QuotaWait_LongerThanTheTotalTimeout_IsNoTimeout()
    {
        using var core = new CoreHarness(new Dictionary<string, string?> { ["Pipeline:Throttle:Lanes:lastfm"] = "1" });
        var upstream = new Upstream(core.Time);
        using var http = Client(core, upstream);
        var job = core.Jobs.Start(timeout: TimeSpan.FromMinutes(10));
        var busy = await Task.Run(() => core.Throttle.AcquireAsync("lastfm", null, CancellationToken.None).AsTask()); // the lane's only slot, held by another flow

        var call = http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "tags").For(job));
        core.FakeTime.Advance(TimeSpan.FromMinutes(5)); // five total timeouts in the queue
        Assert.False(call.IsCompleted);

        busy.Dispose();
        using var response = await call.Within();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, upstream.Calls);
    }

    [Fact]
    public async Task UpstreamTime_PastTheTotalTimeout_FailsAsAnUpstreamTimeout()
    {
        using var core = new CoreHarness();
        var upstream = new Upstream(core.Time) { Hangs = true };
        using var http = Client(core, upstream);
        var job = core.Jobs.Start(timeout: TimeSpan.FromMinutes(10));

        var call = http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "tags").For(job));
        await Signals.UntilAsync(() => upstream.Calls == 1);
        core.FakeTime.Advance(Total - TimeSpan.FromSeconds(1));
        Assert.False(call.IsCompleted);
        core.FakeTime.Advance(TimeSpan.FromSeconds(1));

        var failure = await Assert.ThrowsAsync<UpstreamException>(() => call.Within());
        Assert.Equal("timeout", failure.Reason);
        Assert.Equal("lastfm", failure.Lane);
    }

    private static HttpClient Client(CoreHarness core, Upstream upstream) =>
        new(new CallTimeoutHandler("lastfm", Total, core.Time)
        {
            InnerHandler = new ThrottleHandler(core.Throttle, "lastfm", new UpstreamMetrics(core.MeterFactory)) { InnerHandler = upstream },
        })
        { BaseAddress = new Uri("http://127.0.0.1/") };

    // An upstream that answers at once, or never (until the call is cancelled).
    private sealed class Upstream(TimeProvider time) : HttpMessageHandler
    {
        private int _calls;

        public bool Hangs { get; init; }

        public int Calls => Volatile.Read(ref _calls);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Hangs)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") };
        }
    }
}
