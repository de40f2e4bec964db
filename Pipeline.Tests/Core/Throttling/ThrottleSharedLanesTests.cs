using Microsoft.Extensions.DependencyInjection;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

/// <summary>The throttle's lanes with slots and pauses shared with other hosts, against a store that answers as told.</summary>
public sealed class ThrottleSharedLanesTests : IDisposable
{
    private readonly Lanes _lanes = new();
    private readonly CoreHarness _core;

    public ThrottleSharedLanesTests() =>
        _core = new CoreHarness(
            new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "100", ["Pipeline:Throttle:Lanes:x"] = "2", ["Pipeline:Throttle:SafetyMargin"] = "00:00:00" },
            services: s => s.AddSingleton<ISharedLanes>(_lanes));

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task AcquireAsync_OwnSlot_TakesASharedSlotAndGivesItBackWithTheLease_ANestedCallBorrowsWithoutOne()
    {
        var outer = await _core.Throttle.AcquireAsync("x", null, CancellationToken.None).AsTask().Within();
        var nested = await _core.Throttle.AcquireAsync("x", null, CancellationToken.None).AsTask().Within();
        var takenWhileHeld = _lanes.Taken;
        nested.Dispose();
        var releasedAfterNested = _lanes.Released;
        outer.Dispose();

        Assert.True(outer.IsAcquired && nested.IsAcquired);
        Assert.Equal(1, takenWhileHeld); // the nested call borrowed the outer call's slot: no second lease
        Assert.Equal(0, releasedAfterNested);
        Assert.Equal(1, _lanes.Released);
    }

    [Fact]
    public async Task AcquireAsync_NoSharedSlotFree_TheCallWaitsForOne_CancelledItHoldsNothing()
    {
        _lanes.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var cancelled = _core.Throttle.AcquireAsync("x", null, cancel.Token).AsTask();
        var waiting = Task.Run(async () => await _core.Throttle.AcquireAsync("x", null, CancellationToken.None));
        await Signals.UntilAsync(() => _lanes.Taken == 2);
        var startedEarly = waiting.IsCompleted;

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var slotsAfterCancel = _core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "x").InUse;
        _lanes.Gate.SetResult();
        using var lease = await waiting.Within();

        Assert.False(startedEarly);
        Assert.True(lease.IsAcquired);
        Assert.Equal(1, slotsAfterCancel); // the cancelled call gave its local slot back
        Assert.Equal(0, _lanes.Released); // it never held a shared one
    }

    [Fact]
    public void PauseLane_TellsTheOtherHosts_AndAPauseFromAnotherHostHoldsHere()
    {
        _core.Throttle.PauseLane("x", TimeSpan.FromSeconds(3));
        _lanes.PauseFromElsewhere("y", TimeSpan.FromSeconds(7));

        Assert.Equal([("x", TimeSpan.FromSeconds(3))], _lanes.Pauses);
        Assert.Equal(TimeSpan.FromSeconds(7), _core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "y").PausedFor);
    }

    private sealed class Lanes : ISharedLanes
    {
        private int _taken;
        private int _released;

        public event Action<string, TimeSpan>? Paused;

        public TaskCompletionSource? Gate { get; set; }

        public List<(string Lane, TimeSpan RetryAfter)> Pauses { get; } = [];

        public int Taken => Volatile.Read(ref _taken);

        public int Released => Volatile.Read(ref _released);

        public async ValueTask<IDisposable> TakeSlotAsync(string lane, int limit, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _taken);
            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            return new Slot(this);
        }

        public void Pause(string lane, TimeSpan retryAfter) => Pauses.Add((lane, retryAfter));

        public void PauseFromElsewhere(string lane, TimeSpan retryAfter) => Paused?.Invoke(lane, retryAfter);

        private sealed class Slot(Lanes lanes) : IDisposable
        {
            public void Dispose() => Interlocked.Increment(ref lanes._released);
        }
    }
}
