namespace Pipeline.Throttling;

/// <summary>
/// A wait queue that is FIFO within a partition (a job) and round-robin across partitions, so a partition
/// with 500 waiters cannot push back one with 5. Not thread-safe: its owner serializes access.
/// </summary>
internal sealed class FairQueue<T>
{
    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly LinkedList<Partition> _rotation = new();

    public int Count { get; private set; }

    public Entry Enqueue(string partition, T item)
    {
        if (!_partitions.TryGetValue(partition, out var p))
        {
            p = new Partition(partition);
            _partitions.Add(partition, p);
            p.RotationNode = _rotation.AddLast(p);
        }

        var entry = new Entry(p, item);
        entry.Node = p.Items.AddLast(entry);
        Count++;
        return entry;
    }

    /// <summary>The entry that would be dequeued next, without removing it.</summary>
    public bool TryPeek(out Entry entry)
    {
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
        // Served once: the partition goes to the back of the rotation if it still waits.
        if (p.RotationNode is { } node && node.List is not null && _rotation.Count > 1)
        {
            _rotation.Remove(node);
            _rotation.AddLast(node);
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
            _rotation.Remove(p.RotationNode!);
            p.RotationNode = null;
            _partitions.Remove(p.Key);
        }

        return true;
    }

    public int PartitionCount => _partitions.Count;

    public sealed class Entry(Partition partition, T item)
    {
        public Partition Partition { get; } = partition;

        public T Item { get; } = item;

        internal LinkedListNode<Entry>? Node { get; set; }
    }

    public sealed class Partition(string key)
    {
        public string Key { get; } = key;

        internal LinkedList<Entry> Items { get; } = new();

        internal LinkedListNode<Partition>? RotationNode { get; set; }
    }
}
