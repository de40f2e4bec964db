using System.Collections.Immutable;
using Pipeline.Events;

namespace Pipeline.Jobs;

/// <summary>
/// A job's dead letters, one of its events' outputs: each <c>item.shed</c> and <c>item.failed</c> becomes one
/// (<see cref="DeadLetter.Of"/>); the first <see cref="Capacity"/> are kept, the rest only counted. Built the same way
/// from a job's stored events, it holds the same list after the job ends and after a restart.
/// </summary>
public sealed class DeadLetterList : IPipelineEventSink
{
    private readonly Lock _lock = new();
    private readonly List<DeadLetter> _items = [];
    private long _total;

    /// <summary>An empty list keeping at most <paramref name="capacity"/> dead letters.</summary>
    /// <param name="capacity">Dead letters kept at most.</param>
    public DeadLetterList(int capacity)
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

    /// <summary>Keeps the dead letter <paramref name="pipelineEvent"/> tells of, if any.</summary>
    /// <param name="pipelineEvent">Any of the job's events.</param>
    public void Publish(PipelineEvent pipelineEvent)
    {
        if (DeadLetter.Of(pipelineEvent) is { } letter)
        {
            Add(letter);
        }
    }

    private void Add(DeadLetter letter)
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
