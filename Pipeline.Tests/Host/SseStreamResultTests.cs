using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Streaming;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
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
        var options = FixedOptions.Of(new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(15) });
        using var heartbeat = new SseHeartbeat(options, time);
        var result = new SseStreamResult(Entries(release.Task), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

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
        var options = services.GetRequiredService<ReloadableOptions<StreamingOptions>>();
        using var heartbeat = new SseHeartbeat(options, time);
        var result = new SseStreamResult(Entries(release.Task), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

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

    [Fact]
    public async Task ExecuteAsync_EventsComingFasterThanTheHeartbeat_NoPingUntilAQuietSpell()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var options = FixedOptions.Of(new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(3) });
        using var heartbeat = new SseHeartbeat(options, time);
        var log = new JobLog();
        var body = new MemoryStream();
        var writing = new SseStreamResult(log.ReadAsync(0, CancellationToken.None), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()))
            .ExecuteAsync(new DefaultHttpContext { Response = { Body = body } });
        string Text() => Encoding.UTF8.GetString(body.ToArray());

        for (var i = 1; i <= 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            log.Publish(new LlmDelta("j", CoreHarness.Epoch, "x"));
            await Signals.UntilAsync(() => Text().Contains($"id: {i}\n", StringComparison.Ordinal));
        }

        var active = Text();
        time.Advance(TimeSpan.FromSeconds(3));
        await Signals.UntilAsync(() => Text().Contains(": ping", StringComparison.Ordinal));
        log.Publish(new JobEnded("j", CoreHarness.Epoch, JobOutcome.Completed, null));
        await writing.Within();

        Assert.DoesNotContain(": ping", active, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayOfManyEvents_WrittenInOneFlushWithTheRetryHintOnTheFirst()
    {
        var log = new JobLog();
        for (var i = 0; i < 50; i++)
        {
            log.Publish(new LlmDelta("j", CoreHarness.Epoch, "x"));
        }

        log.Publish(new JobEnded("j", CoreHarness.Epoch, JobOutcome.Completed, null));
        var options = FixedOptions.Of(new StreamingOptions());
        using var heartbeat = new SseHeartbeat(options, new FakeTimeProvider(CoreHarness.Epoch));
        var body = new FlushCountingStream();

        await new SseStreamResult(log.ReadAsync(0, CancellationToken.None), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()))
            .ExecuteAsync(new DefaultHttpContext { Response = { Body = body } }).Within();

        var text = Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal(51, text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(1, text.Split("retry: 2000\n").Length - 1);
        Assert.Contains("id: 1\nretry: 2000\n\n", text, StringComparison.Ordinal);
        Assert.Equal(1, body.FlushesWithData); // all 51 events at once
    }

    [Fact]
    public async Task FrameAsync_SameEntry_FormattedOnceAndSharedButTheRetryFrameIsItsOwn()
    {
        var entry = new JobLogEntry(3, "llm.delta", """{"text":"x"}""");

        var first = await SseFrames.FrameAsync(entry, null);
        var again = await SseFrames.FrameAsync(entry, null);
        var withRetry = await SseFrames.FrameAsync(entry, TimeSpan.FromSeconds(2));

        Assert.Same(first, again);
        Assert.Equal("event: llm.delta\ndata: {\"text\":\"x\"}\nid: 3\n\n", Encoding.UTF8.GetString(first));
        Assert.Equal("event: llm.delta\ndata: {\"text\":\"x\"}\nid: 3\nretry: 2000\n\n", Encoding.UTF8.GetString(withRetry));
        Assert.Same(first, entry.Frame);
    }

    private sealed class FlushCountingStream : MemoryStream
    {
        private long _flushedLength;

        public int FlushesWithData { get; private set; }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            if (Length > _flushedLength)
            {
                FlushesWithData++;
                _flushedLength = Length;
            }

            return base.FlushAsync(cancellationToken);
        }
    }

    private static async IAsyncEnumerable<JobLogEntry> Entries(Task release, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await release.WaitAsync(cancellationToken);
        yield return new JobLogEntry(7, "job.completed", """{"type":"job.completed"}""");
    }
}
