namespace Pipeline.Stages;

/// <summary>
/// A wake-up for producers waiting for room: <see cref="Next"/> (taken before checking for room) completes at the next
/// <see cref="Signal"/>. Nothing is allocated while nobody waits.
/// </summary>
internal sealed class RoomSignal
{
    private TaskCompletionSource? _room;

    public Task Next()
    {
        var room = Volatile.Read(ref _room);
        if (room is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            room = Interlocked.CompareExchange(ref _room, created, null) ?? created;
        }

        return room.Task;
    }

    // Read first: with nobody waiting (the hot path) the signal writes nothing, so it costs no shared cache line. A
    // waiter publishes its signal before checking for room, and room is made before signalling: one sees the other.
    public void Signal()
    {
        if (Volatile.Read(ref _room) is not null)
        {
            Interlocked.Exchange(ref _room, null)?.TrySetResult();
        }
    }
}
