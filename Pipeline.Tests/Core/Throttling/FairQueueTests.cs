using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

public sealed class FairQueueTests
{
    [Fact]
    public void TryDequeue_NoneAhead_RoundRobinAcrossPartitionsFifoWithin()
    {
        var queue = new FairQueue<string>();
        foreach (var item in new[] { "big0", "big1", "big2", "big3" })
        {
            queue.Enqueue("big", item);
        }

        queue.Enqueue("small", "small0");
        queue.Enqueue("small", "small1");

        Assert.Equal(["big0", "small0", "big1", "small1", "big2", "big3"], DrainAll(queue));
    }

    [Fact]
    public void TryDequeue_AheadRanks_LeastAskedJobFirstThenRoundRobin()
    {
        var queue = new FairQueue<string>();
        // The long job has asked for 400 calls by now, its later ones beyond the ahead allowance; the short job for 5.
        queue.Enqueue("big", "big20", ahead: () => 400);
        queue.Enqueue("big", "big21", ahead: () => 400);
        queue.Enqueue("big", "bigLater0");
        queue.Enqueue("big", "bigLater1");
        queue.Enqueue("small", "small3", ahead: () => 5);
        queue.Enqueue("small", "small4", ahead: () => 5);
        queue.Enqueue("other", "otherLater");

        Assert.Equal(["small3", "small4", "big20", "big21", "bigLater0", "otherLater", "bigLater1"], DrainAll(queue));
    }

    [Fact]
    public void TryDequeue_AheadRanksReadWhenChoosing_AJobThatAsksForMoreFallsBehind()
    {
        var queue = new FairQueue<string>();
        var (a, b) = (5, 3);
        queue.Enqueue("a", "a1", ahead: () => a);
        queue.Enqueue("a", "a2", ahead: () => a);
        queue.Enqueue("b", "b1", ahead: () => b);
        queue.Enqueue("b", "b2", ahead: () => b);

        Assert.True(queue.TryDequeue(out var first));
        b = 9; // b asked for more calls meanwhile: a has now asked for fewer
        Assert.True(queue.TryDequeue(out var second));
        Assert.True(queue.TryDequeue(out var third));

        Assert.Equal(["b1", "a1", "a2"], [first, second, third]);
    }

    [Fact]
    public void TryDequeue_EqualAheadRanks_JobsTakeTurns()
    {
        var queue = new FairQueue<string>();
        queue.Enqueue("a", "a1", ahead: () => 2);
        queue.Enqueue("a", "a2", ahead: () => 2);
        queue.Enqueue("b", "b1", ahead: () => 2);
        queue.Enqueue("b", "b2", ahead: () => 2);

        Assert.Equal(["a1", "b1", "a2", "b2"], DrainAll(queue));
    }

    [Fact]
    public void Remove_AheadEntry_LeavesTheQueueAndItsPartition()
    {
        var queue = new FairQueue<string>();
        var gone = queue.Enqueue("small", "small1", ahead: () => 1);
        queue.Enqueue("big", "big9", ahead: () => 9);

        Assert.True(queue.Remove(gone));
        Assert.False(queue.Remove(gone));

        Assert.Equal(1, queue.Count);
        Assert.Equal(["big9"], DrainAll(queue));
    }

    private static List<string> DrainAll(FairQueue<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item))
        {
            order.Add(item);
        }

        Assert.Equal(0, queue.Count);
        return order;
    }
}
