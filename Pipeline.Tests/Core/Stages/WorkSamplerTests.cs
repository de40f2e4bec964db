using Pipeline.Stages;

namespace Pipeline.Tests.Core.Stages;

public sealed class WorkSamplerTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromTicks(10);

    [Fact]
    public void Next_FastItems_StrideDoublesUpToItsMaximum()
    {
        var timed = Run(400, _ => Fast);

        Assert.Equal([0, 2, 6, 14, 30, 62, 126, 190, 254, 318, 382], timed);
    }

    [Fact]
    public void Next_SlowItemsAfterFastOnes_EachTimedFromTheFirstSlowOneTimed()
    {
        // Items 100 to 149 are slow: the sampler learns it at the first one it times (126), then times each.
        var timed = Run(170, i => i is >= 100 and < 150 ? WorkSampler.Slow : Fast);

        Assert.Equal([0, 2, 6, 14, 30, 62, .. Enumerable.Range(126, 25), 152, 156, 164], timed);
    }

    // Runs items whose durations are given by index; returns the indexes of those timed.
    private static List<int> Run(int items, Func<int, TimeSpan> took)
    {
        var sampler = default(WorkSampler);
        var timed = new List<int>();
        for (var i = 0; i < items; i++)
        {
            if (sampler.Next())
            {
                sampler.Timed(took(i));
                timed.Add(i);
            }
        }

        return timed;
    }
}
