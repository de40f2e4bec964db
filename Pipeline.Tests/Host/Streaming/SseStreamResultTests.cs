using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Jobs;
using Pipeline.Host.Streaming;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Streaming;

public sealed class SseStreamResultTests
{
    [Fact]
    public async Task ExecuteAsync_QuietForTheHeartbeat_WritesAPingCommentThenTheEvent()
    {
        var body = new MemoryStream();
        var context = new DefaultHttpContext { Response = { Body = body } };

        await QuietThenEndAsync(context, () => Encoding.UTF8.GetString(body.ToArray()));

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
        var log = new JobLog(TimeProvider.System, JobEventTypes.All);
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
        var log = new JobLog(TimeProvider.System, JobEventTypes.All);
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
    public async Task ExecuteAsync_EventsAndPings_SentWhole_NeverThroughABufferTheServerWouldKeep()
    {
        var body = new WholeWritesOnly();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new WriterBody(body));

        await QuietThenEndAsync(context, () => body.Text);

        Assert.Equal(0, body.Borrowed); // a chunked Kestrel response keeps a block lent by GetMemory/GetSpan until the next write
        Assert.StartsWith(": ping\n\n", body.Text, StringComparison.Ordinal);
        Assert.Contains("id: 7\nretry: 2000\n\n", body.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayReady_TheHeadersGoWithItInOneSend()
    {
        var log = new JobLog(TimeProvider.System, JobEventTypes.All);
        log.Publish(new LlmDelta("j", CoreHarness.Epoch, "x"));
        log.Publish(new JobEnded("j", CoreHarness.Epoch, JobOutcome.Completed, null));
        var body = new WholeWritesOnly();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new WriterBody(body));
        var options = FixedOptions.Of(new StreamingOptions());
        using var heartbeat = new SseHeartbeat(options, new FakeTimeProvider(CoreHarness.Epoch));

        await new SseStreamResult(log.ReadAsync(0, CancellationToken.None), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()))
            .ExecuteAsync(context).Within();

        Assert.Equal(["write"], body.Sends); // one send for headers and replay: one of Kestrel's blocks per stream opened, not two
        Assert.Contains("id: 2\n\n", body.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_NothingYetToSend_TheHeadersGoAtOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new WholeWritesOnly();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new WriterBody(body));
        var options = FixedOptions.Of(new StreamingOptions());
        using var heartbeat = new SseHeartbeat(options, new FakeTimeProvider(CoreHarness.Epoch));

        var writing = new SseStreamResult(Entries(release.Task), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()))
            .ExecuteAsync(context);
        await Signals.UntilAsync(() => body.Sends.Count > 0);
        var beforeAnyEvent = body.Sends.ToList();
        release.SetResult();
        await writing.Within();

        Assert.Equal(["flush"], beforeAnyEvent);
        Assert.Equal(["flush", "write"], body.Sends);
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

    // A stream quiet for its 15 s heartbeat (on a fake clock) until a ping is written, then the job's last event.
    private static async Task QuietThenEndAsync(HttpContext context, Func<string> written)
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = FixedOptions.Of(new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(15) });
        using var heartbeat = new SseHeartbeat(options, time);
        var result = new SseStreamResult(Entries(release.Task), 0, heartbeat, options, new Pipeline.Host.Telemetry.HostMetrics(TestMeters.Create()));

        var writing = result.ExecuteAsync(context);
        await Signals.SettleAsync();
        time.Advance(TimeSpan.FromSeconds(15));
        await Signals.UntilAsync(() => written().Contains(": ping", StringComparison.Ordinal));
        release.SetResult();
        await writing.Within();
    }

    private sealed class WriterBody(PipeWriter writer) : IHttpResponseBodyFeature
    {
        public Stream Stream => writer.AsStream();

        public PipeWriter Writer => writer;

        public void DisableBuffering()
        {
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task CompleteAsync() => Task.CompletedTask;
    }

    // A response writer that takes whole writes and counts the buffers it is asked to lend.
    private sealed class WholeWritesOnly : PipeWriter
    {
        private readonly StringBuilder _text = new();

        public int Borrowed { get; private set; }

        /// <summary>What the response was asked to send, in order: <c>write</c> (bytes, flushed) or <c>flush</c> alone.</summary>
        public List<string> Sends { get; } = [];

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            lock (_text)
            {
                _text.Append(Encoding.UTF8.GetString(source.Span));
                Sends.Add("write");
            }

            return ValueTask.FromResult(new FlushResult(false, false));
        }

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            Borrowed++;
            return new byte[Math.Max(sizeHint, 4096)];
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            lock (_text)
            {
                Sends.Add("flush");
            }

            return ValueTask.FromResult(new FlushResult(false, false));
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }

    private static async IAsyncEnumerable<JobLogEntry> Entries(Task release, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await release.WaitAsync(cancellationToken);
        yield return new JobLogEntry(7, "job.completed", """{"type":"job.completed"}""");
    }
}
