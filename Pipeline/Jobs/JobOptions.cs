using System.ComponentModel.DataAnnotations;

namespace Pipeline.Jobs;

/// <summary>Limits every job starts with.</summary>
public sealed class JobOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Jobs";

    /// <summary>Upstream calls (each attempt) a job may make. Default 950.</summary>
    [Range(0, 1_000_000)]
    public int CallBudget { get; set; } = 950;

    /// <summary>How long a job may run. Default 5 minutes.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Dead letters kept per job. Default 100.</summary>
    [Range(0, 100_000)]
    public int DeadLetterLimit { get; set; } = 100;
}
