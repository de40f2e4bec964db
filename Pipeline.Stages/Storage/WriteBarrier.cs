namespace Pipeline.Stages.Storage;

/// <summary>
/// Stands between a LiteDB engine and its files: the first write, flush or resize that fails (a full disk, an I/O
/// error) is recorded, not thrown, and from then on every stream it wraps drops its writes. LiteDB 5 writes its log on
/// a thread of its own; an I/O error thrown there abandons a commit whose finalizer takes the process down
/// ("discarded page must be writable"). The owner checks <see cref="Fault"/> and gives the engine up, as a crash would
/// leave its files: a reopen reads back the last whole commit.
/// </summary>
internal sealed class WriteBarrier
{
    private volatile string? _fault;

    /// <summary>What failed first, or null while every write went through.</summary>
    public string? Fault => _fault;

    /// <summary>Wraps one of the engine's files.</summary>
    public Stream Wrap(Stream file) => new Barred(file, this);

    private void Guard(Action write)
    {
        if (_fault is not null)
        {
            return;
        }

        try
        {
            write();
        }
        catch (IOException e)
        {
            _fault ??= e.Message;
        }
    }

    private sealed class Barred(Stream file, WriteBarrier barrier) : Stream
    {
        public override bool CanRead => file.CanRead;

        public override bool CanSeek => file.CanSeek;

        public override bool CanWrite => file.CanWrite;

        public override long Length => file.Length;

        public override long Position { get => file.Position; set => file.Position = value; }

        public override void Flush() => barrier.Guard(file.Flush);

        public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);

        public override void SetLength(long value) => barrier.Guard(() => file.SetLength(value));

        public override void Write(byte[] buffer, int offset, int count) => barrier.Guard(() => file.Write(buffer, offset, count));

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
