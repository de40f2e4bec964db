namespace Pipeline.Tests.Support;

/// <summary>
/// Wraps the streams a store opens so a test can make their writes fail as a full disk (ENOSPC) or a failing device
/// (EIO) does, and then recover, without a real filesystem to fill.
/// </summary>
internal sealed class FaultyFiles
{
    private volatile string? _fault;

    /// <summary>Writes and flushes fail with "No space left on device" until <see cref="Recover"/>.</summary>
    public void Fill() => _fault = "No space left on device";

    /// <summary>Writes and flushes fail with "Input/output error" until <see cref="Recover"/>.</summary>
    public void Break() => _fault = "Input/output error";

    public void Recover() => _fault = null;

    public Stream Wrap(Stream inner) => new FaultyStream(inner, this);

    private void ThrowIfFaulty()
    {
        if (_fault is { } fault)
        {
            throw new IOException(fault, fault.StartsWith("No space", StringComparison.Ordinal) ? 28 : 5);
        }
    }

    private sealed class FaultyStream(Stream inner, FaultyFiles files) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush()
        {
            files.ThrowIfFaulty();
            inner.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value)
        {
            files.ThrowIfFaulty();
            inner.SetLength(value);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            files.ThrowIfFaulty();
            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
