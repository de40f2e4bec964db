using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Streaming;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host;

public sealed class SseStreamResultTests
{
    [Fact]
    public async Task ExecuteAsync_QuietForTheHeartbeat_WritesAPingCommentThenTheEvent()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new MemoryStream();
        var context = new DefaultHttpContext { Response = { Body = body } };
        var result = new SseStreamResult(Entries(release.Task), 0, new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(15) }, time, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

        var writing = result.ExecuteAsync(context);
        await Signals.SettleAsync();
        time.Advance(TimeSpan.FromSeconds(15));
        await Signals.UntilAsync(() => Encoding.UTF8.GetString(body.ToArray()).Contains(": ping", StringComparison.Ordinal));
        release.SetResult();
        await writing.Within();

        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal("text/event-stream", context.Response.ContentType);
        Assert.Equal("no-cache", context.Response.Headers.CacheControl);
        Assert.StartsWith(": ping\n\n", text, StringComparison.Ordinal);
        Assert.Contains("event: job.completed\ndata: {\"type\":\"job.completed\"}\nid: 7\nretry: 2000\n\n", text, StringComparison.Ordinal);
    }

    private static async IAsyncEnumerable<JobLogEntry> Entries(Task release, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await release.WaitAsync(cancellationToken);
        yield return new JobLogEntry(7, "job.completed", """{"type":"job.completed"}""");
    }
}
