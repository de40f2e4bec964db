namespace Pipeline.Throttling;

/// <summary>
/// A wait queue that is FIFO within a partition (a job) and round-robin across partitions, so a partition
/// with 500 waiters cannot push back one with 5. Entries enqueued with an <c>ahead</c> rank (a job's first calls,
/// ranked by how many calls the job has asked for, read each time the next entry is chosen) are served before the
/// others, lowest rank first: the job that has asked for the least goes next, so a short job beside a long one runs
/// at nearly its own speed, and the long one yields only the short ones' first calls. Not thread-safe: its owner
/// serializes access.
/// </summary>
internal sealed class FairQueue<T>
{
    private readonly Dictionary<(string Key, bool Ahead), Partition> _partitions = [];
    private readonly LinkedList<Partition> _ahead = new();
    private readonly LinkedList<Partition> _rotation = new();

    public int Count { get; private set; }

    /// <summary>
    /// Queues an item behind its partition's others; with an <paramref name="ahead"/> rank, in the front class (the
    /// rank the partition's first ahead entry brought is read for all of them).
    /// </summary>
    public Entry Enqueue(string partition, T item, Func<int>? ahead = null)
    {
        var key = (partition, ahead is not null);
        if (!_partitions.TryGetValue(key, out var p))
        {
            p = new Partition(partition, ahead);
            _partitions.Add(key, p);
            p.RotationNode = (ahead is not null ? _ahead : _rotation).AddLast(p);
        }

        var entry = new Entry(p, item);
        entry.Node = p.Items.AddLast(entry);
        Count++;
        return entry;
    }

    /// <summary>The entry that would be dequeued next, without removing it.</summary>
    public bool TryPeek(out Entry entry)
    {
        if (_ahead.First is { } first)
        {
            // The least asked for first; on a tie, the one earlier in the rotation.
            var least = first.Value;
            var lowest = least.Rank!();
            for (var node = first.Next; node is not null; node = node.Next)
            {
                var rank = node.Value.Rank!();
                if (rank < lowest)
                {
                    (least, lowest) = (node.Value, rank);
                }
            }

            entry = least.Items.First!.Value;
            return true;
        }

        if (_rotation.First is { } head)
        {
            entry = head.Value.Items.First!.Value;
            return true;
        }

        entry = null!;
        return false;
    }

    public bool TryDequeue(out T item)
    {
        if (!TryPeek(out var entry))
        {
            item = default!;
            return false;
        }

        var p = entry.Partition;
        Remove(entry);
        // Served once: the partition goes to the back of its rotation if it still waits.
        if (p.RotationNode is { List: { Count: > 1 } rotation } node)
        {
            rotation.Remove(node);
            rotation.AddLast(node);
        }

        item = entry.Item;
        return true;
    }

    /// <summary>Removes an entry still queued; false when it was already dequeued or removed.</summary>
    public bool Remove(Entry entry)
    {
        if (entry.Node?.List is null)
        {
            return false;
        }

        var p = entry.Partition;
        p.Items.Remove(entry.Node);
        entry.Node = null;
        Count--;
        if (p.Items.Count == 0)
        {
            p.RotationNode!.List!.Remove(p.RotationNode);
            p.RotationNode = null;
            _partitions.Remove((p.Key, p.Rank is not null));
        }

        return true;
    }

    public sealed class Entry(Partition partition, T item)
    {
        public Partition Partition { get; } = partition;

        public T Item { get; } = item;

        internal LinkedListNode<Entry>? Node { get; set; }
    }

    public sealed class Partition(string key, Func<int>? rank)
    {
        public string Key { get; } = key;

        /// <summary>The ahead rank, read when the next entry is chosen; null in the round-robin class.</summary>
        public Func<int>? Rank { get; } = rank;

        internal LinkedList<Entry> Items { get; } = new();

        internal LinkedListNode<Partition>? RotationNode { get; set; }
    }
}
