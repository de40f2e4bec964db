namespace Pipeline.Host.Streaming;

/// <summary>
/// Runs an action over many items a wave at a time: each wave is a thread-pool work item queued behind the work the
/// previous wave queued (or scheduled by the owner, e.g. a little later). For writes to many streams at once: Kestrel
/// copies each write into a 4 KiB block from its pool and queues the socket send, so writing to 10,000 streams in one
/// go fills 10,000 blocks before the first is sent, and the pool keeps them all. In waves, the sends run between waves;
/// with time between waves, they do so even while other threads are free to write, so about one wave of blocks is in
/// flight.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class WaveDispatcher<T> : IThreadPoolWorkItem
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _pending = new();
    private readonly Action<T> _action;
    private readonly int _waveSize;
    private readonly Action<IThreadPoolWorkItem> _queue;
    private readonly Action<IThreadPoolWorkItem> _queueNext;
    private bool _scheduled;

    /// <param name="action">Runs one item; must not throw.</param>
    /// <param name="waveSize">Items run per work item: 64 streams' writes are 256 KiB of Kestrel's blocks in flight.</param>
    /// <param name="queue">Queues a wave; by default to the thread pool's global queue, behind the work already there.</param>
    /// <param name="queueNext">Queues the waves after the first of a run (the one <see cref="Take"/> starts); by
    /// default as <paramref name="queue"/>.</param>
    public WaveDispatcher(Action<T> action, int waveSize = 64, Action<IThreadPoolWorkItem>? queue = null, Action<IThreadPoolWorkItem>? queueNext = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(waveSize);
        _action = action;
        _waveSize = waveSize;
        _queue = queue ?? (static w => ThreadPool.UnsafeQueueUserWorkItem(w, preferLocal: false));
        _queueNext = queueNext ?? _queue;
    }

    /// <summary>Starts a wave <paramref name="spacing"/> after it is queued, on the thread pool: for <c>queueNext</c>.</summary>
    public static Action<IThreadPoolWorkItem> Spaced(TimeProvider time, TimeSpan spacing) =>
        wave => Task.Delay(spacing, time, CancellationToken.None).ContinueWith(
            static (_, w) => ((IThreadPoolWorkItem)w!).Execute(), wave, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    /// <summary>Adds the items, in order, to run in the waves to come, and empties <paramref name="items"/>.</summary>
    public void Take(ICollection<T> items)
    {
        lock (_lock)
        {
            foreach (var item in items)
            {
                _pending.Enqueue(item);
            }

            items.Clear();
            if (_scheduled || _pending.Count == 0)
            {
                return;
            }

            _scheduled = true;
        }

        _queue(this);
    }

    /// <summary>Runs one wave and queues the next while items are left.</summary>
    public void Execute()
    {
        for (var i = 0; i < _waveSize; i++)
        {
            T item;
            lock (_lock)
            {
                if (!_pending.TryDequeue(out item!))
                {
                    _scheduled = false;
                    return;
                }
            }

            _action(item);
        }

        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                _scheduled = false;
                return;
            }
        }

        _queueNext(this);
    }
}
