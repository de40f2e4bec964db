using System.ComponentModel.DataAnnotations;

namespace Pipeline.Stages;

/// <summary>One stage's buffer, parallelism and overflow policy.</summary>
public sealed class StageOptions
{
    /// <summary>Items the stage holds at most, queued and in work. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int Capacity { get; set; } = 64;

    /// <summary>Items (or batches) worked on at once. Default 4.</summary>
    [Range(1, 1024)]
    public int MaxDegreeOfParallelism { get; set; } = 4;

    /// <summary>Outputs leave in input order. Default false.</summary>
    public bool EnsureOrdered { get; set; }

    /// <summary>What happens when the buffer is full. Default <see cref="OverflowPolicy.Wait"/>.</summary>
    public OverflowPolicy Overflow { get; set; } = OverflowPolicy.Wait;

    /// <summary>Give each active job a fair share of the buffer. Default true.</summary>
    public bool FairShare { get; set; } = true;

    /// <summary>Part of the buffer no running job may fill, kept for jobs that arrive. Default 0.25.</summary>
    [Range(0.0, 0.9)]
    public double NewJobReserve { get; set; } = 0.25;

    /// <summary>Items per batch, for batching stages. Default 1 (no batching).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 1;

    /// <summary>Longest an item waits for its batch to fill. Default 50 ms.</summary>
    public TimeSpan BatchMaxWait { get; set; } = TimeSpan.FromMilliseconds(50);
}
