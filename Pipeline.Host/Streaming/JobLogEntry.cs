namespace Pipeline.Host.Streaming;

/// <summary>One logged event: its sequence number (the SSE id), type and JSON.</summary>
internal sealed record JobLogEntry(long Seq, string Type, string Json)
{
    private byte[]? _frame;

    /// <summary>
    /// The entry as an SSE frame, kept once the first stream has formatted it (<see cref="SseFrames"/>), so every other
    /// stream writes the same bytes. A cache, not part of the entry's value.
    /// </summary>
    public byte[]? Frame
    {
        get => Volatile.Read(ref _frame);
        set => Volatile.Write(ref _frame, value);
    }

    public bool Equals(JobLogEntry? other) => other is not null && Seq == other.Seq && Type == other.Type && Json == other.Json;

    public override int GetHashCode() => HashCode.Combine(Seq, Type, Json);
}
