using Microsoft.Extensions.Time.Testing;

namespace Pipeline.Tests.Support;

/// <summary>Guards for awaiting signals: a hung test fails instead of hanging CI.</summary>
internal static class Signals
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public static Task Within(this Task task) => task.WaitAsync(Guard);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Guard);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Guard);

    /// <summary>Lets thread-pool continuations released by a fake-clock step run before the next step.</summary>
    public static async Task SettleAsync()
    {
        for (var i = 0; i < 4; i++)
        {
            await Task.Yield();
        }

        while (ThreadPool.PendingWorkItemCount > 0)
        {
            await Task.Yield();
        }
    }

    /// <summary>Waits (bounded) until the asynchronous <paramref name="condition"/> holds.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met within the guard.");
            }

            await Task.Yield();
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, yielding between checks.</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met within the guard.");
            }

            await Task.Yield();
        }
    }

    /// <summary>
    /// Steps the fake clock by <paramref name="step"/> until <paramref name="condition"/> holds (bounded) and returns
    /// how far it stepped: at least as far as the code under test waited, whenever it set its timer.
    /// </summary>
    public static async Task<TimeSpan> StepUntilAsync(this FakeTimeProvider time, TimeSpan step, Func<bool> condition)
    {
        var stepped = TimeSpan.Zero;
        await UntilAsync(() =>
        {
            if (condition())
            {
                return true;
            }

            time.Advance(step);
            stepped += step;
            return false;
        });
        return stepped;
    }
}
