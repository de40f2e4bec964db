namespace Pipeline.Host.Storage;

/// <summary>
/// The job store's LiteDB log file, forced to disk at most once per interval. LiteDB's log writer asks for an
/// <c>fsync</c> each time its queue of pages drains (hundreds of times a second under load, which made the disk the
/// store's limit); here such a flush hands the pages to the OS at once, syncs at once if the last sync is an interval
/// old, and otherwise syncs when the interval is up. A crash of the host loses nothing the OS holds; a power loss, at
/// most the last interval. Every member takes one lock: LiteDB's writer thread, its readers and the sync timer share
/// the file.
/// </summary>
internal sealed class GroupSyncStream : Stream
{
    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Action _synced;
    private long? _lastSync;
    private bool _dirty;
    private bool _armed;
    private bool _closed;

    /// <summary>Opens (or creates) the file at <paramref name="path"/>; <paramref name="synced"/> is called after each sync.</summary>
    public GroupSyncStream(string path, TimeSpan interval, TimeProvider time, Action synced)
    {
        _synced = synced;
        // Unbuffered: LiteDB reads and writes whole 8 KiB pages, each one system call either way.
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
        _interval = interval;
        _time = time;
        _timer = time.CreateTimer(static state => ((GroupSyncStream)state!).SyncIfDirty(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            lock (_lock)
            {
                return _file.Length;
            }
        }
    }

    public override long Position
    {
        get
        {
            lock (_lock)
            {
                return _file.Position;
            }
        }
        set
        {
            lock (_lock)
            {
                _file.Position = value;
            }
        }
    }

    /// <summary>Forces what was written (already with the OS: the file is unbuffered) to disk, now or within the interval.</summary>
    public override void Flush()
    {
        lock (_lock)
        {
            if (!_dirty)
            {
                return;
            }

            var since = _lastSync is { } last ? _time.GetElapsedTime(last) : _interval;
            if (since >= _interval)
            {
                Sync();
            }
            else if (!_armed)
            {
                _armed = true;
                _timer.Change(_interval - since, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        lock (_lock)
        {
            return _file.Read(buffer, offset, count);
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        lock (_lock)
        {
            return _file.Seek(offset, origin);
        }
    }

    public override void SetLength(long value)
    {
        lock (_lock)
        {
            _file.SetLength(value);
            _dirty = true;
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_lock)
        {
            _file.Write(buffer, offset, count);
            _dirty = true;
        }
    }

    /// <summary>Syncs what is not yet on disk and closes the file.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer.Dispose();
            lock (_lock)
            {
                if (!_closed && _dirty)
                {
                    Sync();
                }

                _closed = true;
                _file.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void SyncIfDirty()
    {
        lock (_lock)
        {
            _armed = false;
            if (_dirty && !_closed)
            {
                Sync();
            }
        }
    }

    private void Sync()
    {
        _file.Flush(flushToDisk: true);
        _lastSync = _time.GetTimestamp();
        _dirty = false;
        _synced();
    }
}
