namespace Pipeline.Host.Storage;

/// <summary>
/// The job store's LiteDB log file, forced to disk at most once per interval. LiteDB's log writer asks for an
/// <c>fsync</c> each time its queue of pages drains (hundreds of times a second under load, which made the disk the
/// store's limit); here such a flush hands the pages to the OS at once, syncs at once if the last sync is an interval
/// old, and otherwise syncs when the interval is up. A crash of the host loses nothing the OS holds; a power loss, at
/// most the last interval. Every member takes one lock: LiteDB's writer thread, its readers and the sync timer share
/// the file. LiteDB writes a commit's pages on its own thread after the commit returns: each flush it asks for is
/// reported as a drain (every page queued before the flush began is with the OS). A write or sync that fails is reported
/// as a fault and not thrown: LiteDB closing itself from its writer thread in the middle of a commit abandons that
/// commit's transaction, whose finalizer then takes the process down. After a fault the stream is broken: it writes
/// nothing more and reports no drain, and the store reopens the file.
/// </summary>
internal sealed class GroupSyncStream : Stream
{
    private readonly Lock _lock = new();
    private readonly Stream _file;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Action _synced;
    private readonly Action<long>? _drained;
    private readonly Action<Exception>? _faulted;
    private long _drains;
    private long? _lastSync;
    private bool _dirty;
    private bool _armed;
    private bool _closed;
    private bool _broken;

    /// <summary>
    /// Opens (or creates) the file at <paramref name="path"/>; <paramref name="synced"/> is called after each sync,
    /// <paramref name="drained"/> after each flush with its number (<see cref="Drains"/>), <paramref name="faulted"/> when
    /// a write or sync fails; <paramref name="wrap"/> wraps the file (tests inject faults there).
    /// </summary>
    public GroupSyncStream(string path, TimeSpan interval, TimeProvider time, Action synced, Action<long>? drained = null, Action<Exception>? faulted = null, Func<Stream, Stream>? wrap = null)
    {
        _synced = synced;
        _drained = drained;
        _faulted = faulted;
        // Unbuffered: LiteDB reads and writes whole 8 KiB pages, each one system call either way.
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
        _file = wrap?.Invoke(file) ?? file;
        _interval = interval;
        _time = time;
        _timer = time.CreateTimer(static state => ((GroupSyncStream)state!).SyncIfDirty(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Flushes begun so far: a flush numbered above the count read just after a commit drains that commit's pages.</summary>
    public long Drains => Interlocked.Read(ref _drains);

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
        long drain;
        lock (_lock)
        {
            drain = Interlocked.Increment(ref _drains);
            Guard(() =>
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
            });
            if (_broken)
            {
                return; // what LiteDB wrote since the fault is not with the OS
            }
        }

        _drained?.Invoke(drain);
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
            Guard(() => _file.SetLength(value));
            _dirty = true;
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_lock)
        {
            Guard(() => _file.Write(buffer, offset, count));
            _dirty = true;
        }
    }

    /// <summary>Runs a write or a sync unless the stream is broken; a failure breaks it and is reported, not thrown to LiteDB.</summary>
    private void Guard(Action write)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            write();
        }
        catch (IOException e)
        {
            _broken = true;
            _faulted?.Invoke(e);
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
                try
                {
                    if (!_closed && _dirty && !_broken)
                    {
                        Sync();
                    }
                }
                finally
                {
                    _closed = true;
                    _file.Dispose(); // closed even when the last sync fails (a full disk), for the store to reopen it
                }
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
                Guard(Sync); // a timer thread cannot throw: the store hears of it
            }
        }
    }

    private void Sync()
    {
        if (_file is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            _file.Flush();
        }

        _lastSync = _time.GetTimestamp();
        _dirty = false;
        _synced();
    }
}
