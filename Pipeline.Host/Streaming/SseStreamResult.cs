using Pipeline.Configuration;
using Pipeline.Host.Telemetry;

namespace Pipeline.Host.Streaming;

/// <summary>
/// Writes a job's events as SSE: each entry's frame (<see cref="SseFrames"/>, shared by every stream), the
/// <c>retry:</c> hint on the first, the proxy headers, and <c>: ping</c> comments from the host's
/// <see cref="SseHeartbeat"/> while quiet. Entries that are ready go out together in one flush.
/// Ids skipped after <paramref name="after"/> are events a lagging reader got merged or superseded: counted. The
/// <paramref name="held"/> lease (the client's stream slot) is released when the stream ends.
/// </summary>
internal sealed class SseStreamResult(IAsyncEnumerable<JobLogEntry> entries, long after, SseHeartbeat heartbeat, ReloadableOptions<StreamingOptions> options, HostMetrics metrics, Func<IDisposable>? subscribe = null, IDisposable? held = null) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var slot = held;
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var cancellationToken = httpContext.RequestAborted;
        using var subscription = subscribe?.Invoke();
        metrics.StreamOpened();
        try
        {
            await using var stream = new SseResponseWriter(response.BodyWriter, heartbeat, cancellationToken);
            await WriteAsync(stream, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; it resumes with Last-Event-ID.
        }
        finally
        {
            metrics.StreamClosed();
        }
    }

    private async Task WriteAsync(SseResponseWriter stream, CancellationToken cancellationToken)
    {
        var last = after;
        var retry = (TimeSpan?)options.Current.Retry;
        await using var items = entries.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var moved = items.MoveNextAsync();
            if (!moved.IsCompleted && !await stream.FlushAsync())
            {
                return; // what is written goes out before the wait for more
            }

            if (!await moved)
            {
                await stream.FlushAsync();
                return;
            }

            var entry = items.Current;
            if (!await stream.WriteAsync(await SseFrames.FrameAsync(entry, retry)))
            {
                return;
            }

            retry = null;
            metrics.Written(entry.Seq - last - 1);
            last = entry.Seq;
        }
    }
}
