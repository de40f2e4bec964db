namespace Pipeline.Stages.Search;

/// <summary>Upstream calls made a few ahead and read in the order they were asked for.</summary>
internal static class CallsAhead
{
    /// <summary>
    /// Starts <paramref name="calls"/> in order with at most <paramref name="ahead"/> of them running, and yields each
    /// result in that order. A reader that stops early starts no more; the calls already running finish (and are cached) first.
    /// </summary>
    public static async IAsyncEnumerable<T> InOrderAsync<T>(IEnumerable<Func<Task<T>>> calls, int ahead)
    {
        var running = new Queue<Task<T>>(ahead);
        using var next = calls.GetEnumerator();
        try
        {
            while (true)
            {
                while (running.Count < ahead && next.MoveNext())
                {
                    running.Enqueue(next.Current());
                }

                if (!running.TryDequeue(out var call))
                {
                    yield break;
                }

                yield return await call;
            }
        }
        finally
        {
            await ((Task)Task.WhenAll(running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
