using System.Collections.Immutable;

namespace Pipeline.Jobs;

/// <summary>A job's dead letters: the first <see cref="Capacity"/> kept, the rest only counted.</summary>
public sealed class DeadLetterList
{
    private readonly Lock _lock = new();
    private readonly List<DeadLetter> _items = [];
    private long _total;

    internal DeadLetterList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>Dead letters kept at most.</summary>
    public int Capacity { get; }

    /// <summary>Every dead letter, kept or not.</summary>
    public long TotalCount => Interlocked.Read(ref _total);

    /// <summary>The dead letters kept, oldest first.</summary>
    /// <returns>A snapshot.</returns>
    public ImmutableArray<DeadLetter> Snapshot()
    {
        lock (_lock)
        {
            return [.. _items];
        }
    }

    internal void Add(DeadLetter letter)
    {
        Interlocked.Increment(ref _total);
        lock (_lock)
        {
            // Keep the first ones: they name the cause; later ones usually repeat it.
            if (_items.Count < Capacity)
            {
                _items.Add(letter);
            }
        }
    }
}
