namespace Pipeline.Host.Transport;

/// <summary>How Kestrel's socket transport schedules its work. Read at start.</summary>
public sealed class TransportOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Transport";

    /// <summary>
    /// Runs a connection's socket sends and request reads on the thread that makes them ready instead of queueing them
    /// to Kestrel's I/O queue (<c>SocketTransportOptions.UnsafePreferInlineScheduling</c>). Queued (the default), each
    /// write's 4 KiB block waits there for its send; when many connections arrive at once, many wait together, and
    /// Kestrel's pool keeps them (writes to many streams at once are spaced in waves, so those do not pile up). Inline,
    /// a block is sent and returned at once, but every flush is a send of its own, and a busy host completes 25–40%
    /// fewer jobs a second (BENCHMARKS.md sections 5 and 7). For hosts that mostly hold many quiet streams. On Linux the
    /// socket engine still hands completions to the thread pool, so no request runs on its event thread.
    /// </summary>
    public bool InlineScheduling { get; set; }
}
