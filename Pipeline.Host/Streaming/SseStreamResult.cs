using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using Pipeline.Configuration;
using Pipeline.Host.Telemetry;

namespace Pipeline.Host.Streaming;

/// <summary>
/// Writes a job's events as SSE with <see cref="SseFormatter"/> (one item at a time, flushed as written) and adds
/// what it lacks: a <c>: ping</c> comment after a quiet <c>Heartbeat</c> (the one in force, reloaded live), the proxy headers, the <c>retry:</c> hint.
/// Ids skipped after <paramref name="after"/> are events a lagging reader got merged or superseded: counted.
/// </summary>
internal sealed class SseStreamResult(IAsyncEnumerable<JobLogEntry> entries, long after, ReloadableOptions<StreamingOptions> options, TimeProvider time, HostMetrics metrics, Func<IDisposable>? subscribe = null) : IResult
{
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes(": ping\n\n");

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var cancellationToken = httpContext.RequestAborted;
        using var subscription = subscribe?.Invoke();
        await response.Body.FlushAsync(cancellationToken);

        metrics.StreamOpened();
        try
        {
            await WriteAsync(response, cancellationToken);
        }
        finally
        {
            metrics.StreamClosed();
        }
    }

    private async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        var last = after;
        await using var items = entries.GetAsyncEnumerator(cancellationToken);
        var first = true;
        var next = items.MoveNextAsync().AsTask();
        var quietSince = time.GetTimestamp();
        try
        {
            while (true)
            {
                // The heartbeat in force now: a reloaded one applies to this quiet spell at once.
                var changed = options.WhenChanged;
                var due = options.Current.Heartbeat - time.GetElapsedTime(quietSince);
                using var quiet = new CancellationTokenSource();
                var heartbeat = Task.Delay(due > TimeSpan.Zero ? due : TimeSpan.Zero, time, quiet.Token);
                var woke = await Task.WhenAny(next, heartbeat, changed);
                if (woke != next)
                {
                    await quiet.CancelAsync();
                    if (woke == heartbeat)
                    {
                        await response.Body.WriteAsync(Ping, cancellationToken);
                        await response.Body.FlushAsync(cancellationToken);
                        quietSince = time.GetTimestamp();
                    }

                    continue;
                }

                await quiet.CancelAsync();
                if (!await next)
                {
                    return;
                }

                var entry = items.Current;
                var item = new SseItem<string>(entry.Json, entry.Type)
                {
                    EventId = entry.Seq.ToString(CultureInfo.InvariantCulture),
                    ReconnectionInterval = first ? options.Current.Retry : null,
                };
                first = false;
                await SseFormatter.WriteAsync(One(item, cancellationToken), response.Body, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
                metrics.Written(entry.Seq - last - 1);
                quietSince = time.GetTimestamp();
                last = entry.Seq;
                next = items.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; it resumes with Last-Event-ID.
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> One(SseItem<string> item, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield return item;
    }
}
