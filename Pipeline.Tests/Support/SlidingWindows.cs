namespace Pipeline.Tests.Support;

/// <summary>Checks start times against a sliding-window limit.</summary>
internal static class SlidingWindows
{
    /// <summary>The most starts inside any half-open window [t, t + window) of the given times.</summary>
    public static int MaxInAnyWindow(IEnumerable<long> starts, long window)
    {
        var sorted = starts.Order().ToArray();
        int max = 0, lo = 0;
        for (var hi = 0; hi < sorted.Length; hi++)
        {
            while (sorted[hi] - sorted[lo] >= window)
            {
                lo++;
            }

            max = Math.Max(max, hi - lo + 1);
        }

        return max;
    }
}
