namespace Pipeline.Stages;

/// <summary>
/// Which of a worker's items are timed for <c>pipeline.stage.duration</c>. Every item is, while the items timed take
/// <see cref="Slow"/> or more. Faster ones are sampled: one in a stride that doubles with each fast item timed, up to
/// <see cref="MaxStride"/>, and falls back to one at the first slow one. A timed item costs two clock reads and a
/// histogram record, a tenth of a microsecond or more, which would be most of the cost of a trivial stage. The choice
/// depends only on items timed before, never on the item's own duration, so the sample leans toward neither short nor
/// long items.
/// </summary>
internal struct WorkSampler
{
    /// <summary>Items that take this long or more are all timed.</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromTicks(1_000); // 100 µs

    /// <summary>The most items in a row of which one is timed.</summary>
    public const int MaxStride = 64;

    private int _stride;
    private int _skip;

    /// <summary>Whether to time the next item.</summary>
    public bool Next()
    {
        if (_skip == 0)
        {
            return true;
        }

        _skip--;
        return false;
    }

    /// <summary>Takes a timed item's duration, which sets how many items pass untimed before the next is timed.</summary>
    public void Timed(TimeSpan took)
    {
        _stride = took >= Slow ? 1 : Math.Min(Math.Max(1, _stride) * 2, MaxStride);
        _skip = _stride - 1;
    }
}
