using Microsoft.Extensions.Time.Testing;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

public sealed class LaneGateTests
{
    [Fact]
    public async Task AcquireAsync_LargeAndSmallJobWaiting_SlotsAlternateBetweenJobs()
    {
        var gate = new LaneGate("x", 1, queueLimit: 1000, new FakeTimeProvider(CoreHarness.Epoch));
        Assert.True(await gate.AcquireAsync("big", null, CancellationToken.None));
        var waiters = Enumerable.Range(0, 50).Select(i => (Name: $"big{i}", Task: gate.AcquireAsync("big", null, CancellationToken.None).AsTask()))
            .Concat(Enumerable.Range(0, 3).Select(i => (Name: $"small{i}", Task: gate.AcquireAsync("small", null, CancellationToken.None).AsTask())))
            .ToList();
        var order = new List<string>();

        for (var i = 0; i < 6; i++)
        {
            gate.Release(); // grants the next waiter synchronously
            order.Add(waiters.Single(w => w.Task.IsCompleted && !order.Contains(w.Name)).Name);
        }

        Assert.Equal(["big0", "small0", "big1", "small1", "big2", "small2"], order);
        await Task.WhenAll(waiters.Take(3).Select(w => w.Task)).Within();
    }

    [Fact]
    public async Task AcquireAsync_QueueAtBound_ReturnsFalseAtOnce()
    {
        var gate = new LaneGate("x", 1, queueLimit: 1, new FakeTimeProvider(CoreHarness.Epoch));
        Assert.True(await gate.AcquireAsync("a", null, CancellationToken.None));
        var queued = gate.AcquireAsync("a", null, CancellationToken.None).AsTask();

        var refused = gate.AcquireAsync("b", null, CancellationToken.None);

        Assert.True(refused.IsCompleted);
        Assert.False(await refused);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task SetLimit_Raised_WaitersGetTheNewSlotsAtOnce()
    {
        var gate = new LaneGate("x", 1, queueLimit: 10, new FakeTimeProvider(CoreHarness.Epoch));
        Assert.True(await gate.AcquireAsync("a", null, CancellationToken.None));
        var waiters = Enumerable.Range(0, 3).Select(_ => gate.AcquireAsync("a", null, CancellationToken.None).AsTask()).ToList();

        gate.SetLimit(3);

        Assert.Equal(2, waiters.Count(w => w.IsCompleted));
        Assert.Equal(new LaneSnapshot("x", 3, 3, 1, null), gate.Snapshot());
        await Task.WhenAll(waiters.Take(2)).Within();
    }
}
