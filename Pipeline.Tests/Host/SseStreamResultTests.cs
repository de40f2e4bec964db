using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
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
        var result = new SseStreamResult(Entries(release.Task), 0, FixedOptions.Of(new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(15) }), time, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

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

    [Fact]
    public async Task ExecuteAsync_HeartbeatReloadedDuringAQuietSpell_PingsOnTheNewOne()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Pipeline:Streaming:Heartbeat"] = "00:00:15" }).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddMetrics()
            .AddReloadableOptions<StreamingOptions>(StreamingOptions.Section)
            .Configure<StreamingOptions>(configuration.GetSection(StreamingOptions.Section))
            .AddSingleton<IOptionsChangeTokenSource<StreamingOptions>>(new ConfigurationChangeTokenSource<StreamingOptions>(configuration))
            .BuildServiceProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new MemoryStream();
        var result = new SseStreamResult(Entries(release.Task), 0, services.GetRequiredService<ReloadableOptions<StreamingOptions>>(), time, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

        var writing = result.ExecuteAsync(new DefaultHttpContext { Response = { Body = body } });
        await Signals.SettleAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        configuration["Pipeline:Streaming:Heartbeat"] = "00:00:03";
        configuration.Reload();
        await Signals.SettleAsync();
        var before = Encoding.UTF8.GetString(body.ToArray());
        time.Advance(TimeSpan.FromSeconds(1)); // 3 s quiet: due under the new heartbeat, 12 s early under the old
        await Signals.UntilAsync(() => Encoding.UTF8.GetString(body.ToArray()).Contains(": ping", StringComparison.Ordinal));
        release.SetResult();
        await writing.Within();

        Assert.DoesNotContain(": ping", before, StringComparison.Ordinal);
    }

    private static async IAsyncEnumerable<JobLogEntry> Entries(Task release, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await release.WaitAsync(cancellationToken);
        yield return new JobLogEntry(7, "job.completed", """{"type":"job.completed"}""");
    }
}
