using Pipeline.Throttling;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Carries the current request's throttle lease down to the connection stream, which reports the moment the
/// request's first bytes are written (<see cref="ThrottleLease.MarkSent"/>). HTTP/1.1 writes a request in the
/// flow that sends it, so the lease armed by <see cref="ThrottleHandler"/> is the one the write belongs to.
/// </summary>
internal static class SendStamp
{
    private static readonly AsyncLocal<ThrottleLease?> Armed = new();

    public static void Arm(ThrottleLease lease) => Armed.Value = lease;

    public static void Fire() => Armed.Value?.MarkSent();

    /// <summary>The primary handler of every upstream client: pooled connections whose writes stamp the send.</summary>
    public static SocketsHttpHandler Handler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PlaintextStreamFilter = (context, _) => ValueTask.FromResult<Stream>(new StampingStream(context.PlaintextStream)),
    };

    private sealed class StampingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
            Fire();
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Fire();
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Fire();
            return inner.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Fire();
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
