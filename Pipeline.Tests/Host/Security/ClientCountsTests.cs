using Pipeline.Host.Security;

namespace Pipeline.Tests.Host.Security;

public sealed class ClientCountsTests
{
    [Fact]
    public void TryTake_AtTheBound_RefusedUntilOneIsReturnedAndEachClientCountedApart()
    {
        var counts = new ClientCounts();

        Assert.True(counts.TryTake("alice", 2));
        Assert.True(counts.TryTake("alice", 2));
        Assert.False(counts.TryTake("alice", 2));
        Assert.True(counts.TryTake("bob", 2));
        counts.Return("alice");

        Assert.True(counts.TryTake("alice", 2));
    }

    [Fact]
    public void Take_PastTheBound_CountedSoTheClientWaitsForTwoReturns()
    {
        var counts = new ClientCounts();
        counts.Take("alice");
        counts.Take("alice");
        counts.Take("alice"); // resumed jobs a restart found, past today's bound of 2

        counts.Return("alice");
        Assert.False(counts.TryTake("alice", 2));
        counts.Return("alice");
        Assert.True(counts.TryTake("alice", 2));
    }

    [Fact]
    public async Task TryTakeAndReturn_ManyAtOnce_NeverPastTheBoundAndAllBackAtTheEnd()
    {
        var counts = new ClientCounts();
        var held = 0;
        var most = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (counts.TryTake("alice", 3))
                {
                    var now = Interlocked.Increment(ref held);
                    InterlockedMax(ref most, now);
                    Interlocked.Decrement(ref held);
                    counts.Return("alice");
                }
            }
        })));

        Assert.InRange(most, 1, 3);
        Assert.True(counts.TryTake("alice", 1)); // every one came back
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }
}
