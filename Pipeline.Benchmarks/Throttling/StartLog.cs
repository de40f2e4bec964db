using System.Diagnostics;

namespace Pipeline.Benchmarks.Throttling;

/// <summary>Start times of granted calls and what they say: the most starts in any sliding window, and the rate achieved.</summary>
internal sealed class StartLog
{
    private readonly List<long> _starts = [];

    public int Count
    {
        get
        {
            lock (_starts)
            {
                return _starts.Count;
            }
        }
    }

    public void Add(long timestamp)
    {
        lock (_starts)
        {
            _starts.Add(timestamp);
        }
    }

    /// <summary>Starts per second after the first <paramref name="burst"/> (which a limiter may start at once): the backlog's steady rate.</summary>
    public double SteadyRate(int burst, long frequency = 0)
    {
        frequency = frequency == 0 ? Stopwatch.Frequency : frequency;
        long[] starts;
        lock (_starts)
        {
            starts = [.. _starts.Order()];
        }

        return starts.Length <= burst ? 0 : (starts.Length - burst) / ((starts[^1] - starts[0]) / (double)frequency);
    }

    /// <summary>The most starts within any window of <paramref name="window"/> (a start exactly a window after another is outside it).</summary>
    public int MaxInWindow(TimeSpan window, long frequency = 0)
    {
        frequency = frequency == 0 ? Stopwatch.Frequency : frequency;
        var span = (long)(window.TotalSeconds * frequency);
        long[] starts;
        lock (_starts)
        {
            starts = [.. _starts.Order()];
        }

        var best = 0;
        for (int i = 0, j = 0; j < starts.Length; j++)
        {
            while (starts[j] - starts[i] >= span)
            {
                i++;
            }

            best = Math.Max(best, j - i + 1);
        }

        return best;
    }
}
