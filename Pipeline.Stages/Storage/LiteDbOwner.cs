using System.Threading.Channels;

namespace Pipeline.Stages.Storage;

/// <summary>
/// The one loop that touches a store's LiteDB file. LiteDB 5.0.20 returns wrong results or throws "page type must be
/// index page" with a reader beside a writer on one instance (LiteDB issue #2817), and autocommitted single inserts
/// manage ≈455/s: so each store queues its operations here, and this loop, the queue's one reader, hands them to the
/// store (its <c>accept</c>), lets it work in batched transactions (its <c>step</c>), and otherwise waits for the next
/// operation or the time the store names, on the store's clock.
/// </summary>
/// <typeparam name="TOperation">What the store queues.</typeparam>
internal sealed class LiteDbOwner<TOperation>
{
    private readonly Channel<TOperation> _queue;
    private readonly TimeProvider _time;
    private Task _loop = Task.CompletedTask;

    /// <summary>A bounded queue of <paramref name="queueLimit"/> operations; the loop starts with <see cref="Start"/>.</summary>
    public LiteDbOwner(int queueLimit, TimeProvider time)
    {
        _queue = Channel.CreateBounded<TOperation>(new BoundedChannelOptions(queueLimit) { SingleReader = true });
        _time = time;
    }

    /// <summary>The loop: done when the store says so, or once the queue is completed and the store is idle.</summary>
    public Task Completion => _loop;

    /// <summary>Starts the loop; the store's two callbacks run on it alone, one at a time.</summary>
    /// <param name="accept">Takes an operation off the queue; false when the store wants no more before its next step (a full batch).</param>
    /// <param name="step">Does what is due (writes a batch, answers reads); its argument is true once no operation can come again.</param>
    public void Start(Func<TOperation, bool> accept, Func<bool, LiteDbStep> step) => _loop = Task.Run(() => RunAsync(accept, step));

    /// <summary>Queues an operation unless the queue is full or completed.</summary>
    public bool TryPost(TOperation operation) => _queue.Writer.TryWrite(operation);

    /// <summary>Queues an operation, waiting while the queue is full.</summary>
    public ValueTask PostAsync(TOperation operation, CancellationToken cancellationToken) => _queue.Writer.WriteAsync(operation, cancellationToken);

    /// <summary>Takes no more operations; the loop steps until the store is idle or done.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync(Func<TOperation, bool> accept, Func<bool, LiteDbStep> step)
    {
        var reader = _queue.Reader;
        while (true)
        {
            while (reader.TryRead(out var operation) && accept(operation))
            {
            }

            var closed = reader.Completion.IsCompleted;
            var next = step(closed);
            if (next.Done || (closed && next == LiteDbStep.Idle))
            {
                return;
            }

            if (next.Again)
            {
                continue;
            }

            if (next.WakeAt is not { } at)
            {
                await reader.WaitToReadAsync();
                continue;
            }

            using var cancel = new CancellationTokenSource();
            var more = reader.WaitToReadAsync(cancel.Token).AsTask();
            var delay = at - _time.GetUtcNow();
            await Task.WhenAny(more, Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, _time, cancel.Token));
            await cancel.CancelAsync();
        }
    }
}
