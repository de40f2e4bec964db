using System.Runtime.InteropServices;

namespace Pipeline.Stages;

/// <summary>
/// The counts a stage's producers and workers write on every item: what both write, what producers write and what
/// workers write each on cache lines of their own, so the writes do not slow each other or every read of the stage's
/// read-mostly fields (options, signal, metrics) on the other core.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 320)]
internal struct StageHotCounts
{
    /// <summary>Items held, queued and in work; written atomically.</summary>
    [FieldOffset(64)]
    public int InStage;

    /// <summary>Items in the job queues; under the queue lock.</summary>
    [FieldOffset(128)]
    public int Queued;

    /// <summary>Worker loops running; under the queue lock.</summary>
    [FieldOffset(132)]
    public int Workers;

    /// <summary>Items accepted, ever; written by producers.</summary>
    [FieldOffset(192)]
    public long Accepted;

    /// <summary>Items shed, ever; written by producers.</summary>
    [FieldOffset(200)]
    public long Shed;

    /// <summary>Items whose work succeeded, ever; written by workers.</summary>
    [FieldOffset(256)]
    public long Passed;
}
