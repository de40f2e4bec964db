using System.Buffers;
using System.IO.Pipelines;

namespace Pipeline.Host.Streaming;

/// <summary>
/// One event stream's response. Frames from the stream and pings from the host's <see cref="SseHeartbeat"/> (on its
/// own thread) are written under one gate; frames are sent when the stream asks (before it waits for more) or when
/// <see cref="FlushThreshold"/> bytes are waiting, so a reader catching up gets its batch in few writes.
/// </summary>
/// <remarks>
/// A batch goes out in one <see cref="PipeWriter.WriteAsync"/>, never through <see cref="PipeWriter.GetSpan"/>: for a
/// chunked response Kestrel keeps the 4 KiB block it hands out that way until the next write, which for an idle
/// stream means for good. Sent whole, the block goes back to Kestrel's pool, which can trim it. Until sent, the batch
/// is the shared frames themselves.
/// </remarks>
internal sealed class SseResponseWriter : IAsyncDisposable
{
    /// <summary>Unflushed bytes that force a flush in the middle of a batch.</summary>
    public const int FlushThreshold = 16 * 1024;

    private static readonly byte[] Ping = ": ping\n\n"u8.ToArray();
    private readonly PipeWriter _writer;
    private readonly SseHeartbeat _heartbeat;
    private readonly CancellationToken _cancellationToken;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<byte[]> _batch = []; // frames written and not yet sent
    private long _lastWrite;
    private int _unflushed;
    private bool _sent;
    private bool _closed;

    /// <summary>Starts the stream's quiet spell now and joins the heartbeat.</summary>
    public SseResponseWriter(PipeWriter writer, SseHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        _writer = writer;
        _heartbeat = heartbeat;
        _cancellationToken = cancellationToken;
        _lastWrite = heartbeat.Time.GetTimestamp();
        heartbeat.Join(this);
    }

    /// <summary>How long since the last frame or ping.</summary>
    public TimeSpan Quiet => _heartbeat.Time.GetElapsedTime(Volatile.Read(ref _lastWrite));

    /// <summary>Writes a frame, flushing once enough waits; false once the client is gone.</summary>
    public async ValueTask<bool> WriteAsync(byte[] frame)
    {
        await _gate.WaitAsync(_cancellationToken);
        try
        {
            _batch.Add(frame);
            _unflushed += frame.Length;
            Volatile.Write(ref _lastWrite, _heartbeat.Time.GetTimestamp());
            return _unflushed < FlushThreshold || await SendLockedAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends what is written, or, the first time with nothing written, the response's headers alone, so the client
    /// knows the stream is open (a replay's first batch carries them: one send and one block of Kestrel's, not two);
    /// false once the client is gone.
    /// </summary>
    public async ValueTask<bool> FlushAsync()
    {
        await _gate.WaitAsync(_cancellationToken);
        try
        {
            if (_unflushed > 0)
            {
                return await SendLockedAsync();
            }

            if (_sent)
            {
                return true;
            }

            _sent = true;
            var result = await _writer.FlushAsync(_cancellationToken);
            return !result.IsCompleted && !result.IsCanceled;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes <c>: ping</c>, unless a write is under way (the stream is not quiet then) or the stream has ended.</summary>
    public async Task PingAsync()
    {
        if (!_gate.Wait(0))
        {
            return;
        }

        try
        {
            if (!_closed)
            {
                _batch.Add(Ping);
                _unflushed += Ping.Length;
                Volatile.Write(ref _lastWrite, _heartbeat.Time.GetTimestamp());
                await SendLockedAsync();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away; the stream's own loop ends on the same cancellation.
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leaves the heartbeat and waits out a ping under way: nothing is written after this.</summary>
    public async ValueTask DisposeAsync()
    {
        _heartbeat.Leave(this);
        await _gate.WaitAsync(CancellationToken.None);
        _closed = true;
        _gate.Release();
    }

    // One frame goes as it is; several are joined in a pooled buffer, returned once the response holds the bytes.
    private async ValueTask<bool> SendLockedAsync()
    {
        var length = _unflushed;
        byte[]? joined = null;
        try
        {
            ReadOnlyMemory<byte> bytes;
            if (_batch.Count == 1)
            {
                bytes = _batch[0];
            }
            else
            {
                joined = ArrayPool<byte>.Shared.Rent(length);
                var at = 0;
                foreach (var frame in _batch)
                {
                    frame.CopyTo(joined, at);
                    at += frame.Length;
                }

                bytes = joined.AsMemory(0, length);
            }

            _batch.Clear();
            _unflushed = 0;
            _sent = true;
            var result = await _writer.WriteAsync(bytes, _cancellationToken);
            return !result.IsCompleted && !result.IsCanceled;
        }
        finally
        {
            if (joined is not null)
            {
                ArrayPool<byte>.Shared.Return(joined);
            }
        }
    }
}
