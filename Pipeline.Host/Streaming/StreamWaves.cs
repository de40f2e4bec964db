namespace Pipeline.Host.Streaming;

/// <summary>
/// How writes to many event streams at once are paced (<see cref="WaveDispatcher{T}"/>): 64 streams a wave, the waves
/// after the first 2 ms apart, so Kestrel's sends keep up with the writes even while other threads are free to write,
/// and its pool holds a wave's blocks, not one per stream. A round of 10,000 streams takes at least 0.3 s.
/// </summary>
internal static class StreamWaves
{
    /// <summary>The time from one wave to the next.</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(2);
}
