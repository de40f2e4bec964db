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

    public void Signal() => Interlocked.Exchange(ref _room, null)?.TrySetResult();
}
