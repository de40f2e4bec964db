using System.Runtime.InteropServices;

namespace Pipeline.Stages;

/// <summary>
/// The counts a stage's producers and workers write on every item, all under the stage's lock: on a cache line of
/// their own, so the writes do not slow every read of the stage's read-mostly fields (options, signal, metrics).
/// Written with <see cref="Volatile"/> stores, so gauges read them from any thread.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct StageHotCounts
{
    /// <summary>Items held, queued and in work.</summary>
    [FieldOffset(64)]
    public int InStage;

    /// <summary>Items in the job queues.</summary>
    [FieldOffset(68)]
    public int Queued;

    /// <summary>Worker loops running.</summary>
    [FieldOffset(72)]
    public int Workers;

    /// <summary>Jobs with items in the stage.</summary>
    [FieldOffset(76)]
    public int ActiveJobs;

    /// <summary>Items accepted, ever.</summary>
    [FieldOffset(80)]
    public long Accepted;

    /// <summary>Items shed, ever.</summary>
    [FieldOffset(88)]
    public long Shed;

    /// <summary>Items whose work succeeded, ever.</summary>
    [FieldOffset(96)]
    public long Passed;
}
