namespace Pipeline.Benchmarks.Load;

internal static class Percentile
{
    /// <summary>The value at fraction <paramref name="p"/> of <paramref name="sorted"/> (ascending); 0 when empty.</summary>
    public static double Of(IReadOnlyList<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
