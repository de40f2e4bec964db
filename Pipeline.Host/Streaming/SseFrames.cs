using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Pipeline.Host.Streaming;

/// <summary>
/// Log entries as SSE frames, framed by <see cref="SseFormatter"/>. An entry's frame is made once and then written by
/// every stream that carries it; a stream's first frame, which adds the <c>retry:</c> hint, is its own.
/// </summary>
internal static class SseFrames
{
    public static ValueTask<byte[]> FrameAsync(JobLogEntry entry, TimeSpan? retry) =>
        retry is null && entry.Frame is { } frame ? ValueTask.FromResult(frame) : FormatAsync(entry, retry);

    private static async ValueTask<byte[]> FormatAsync(JobLogEntry entry, TimeSpan? retry)
    {
        var item = new SseItem<string>(entry.Json, entry.Type)
        {
            EventId = entry.Seq.ToString(CultureInfo.InvariantCulture),
            ReconnectionInterval = retry,
        };
        using var buffer = new MemoryStream(entry.Json.Length + 64);
        await SseFormatter.WriteAsync(One(item), buffer);
        var frame = buffer.ToArray();
        if (retry is null)
        {
            entry.Frame = frame; // streams racing to make it write equal bytes; either copy serves
        }

        return frame;
    }

    private static async IAsyncEnumerable<SseItem<string>> One(SseItem<string> item, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield return item;
    }
}
