namespace Pipeline.Throttling;

/// <summary>Conversions between spans and <see cref="TimeProvider.GetTimestamp"/> units, rounded up: a wait is never cut short.</summary>
internal static class TimestampMath
{
    public static long ToTimestampTicks(this TimeProvider time, TimeSpan span) =>
        (long)Math.Ceiling(span.Ticks * (double)time.TimestampFrequency / TimeSpan.TicksPerSecond);

    public static TimeSpan ToTimeSpan(this TimeProvider time, long timestampTicks) =>
        TimeSpan.FromTicks((long)Math.Ceiling(timestampTicks * (double)TimeSpan.TicksPerSecond / time.TimestampFrequency));
}
