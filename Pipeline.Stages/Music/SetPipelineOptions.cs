namespace Pipeline.Stages.Music;

/// <summary>How a set job is driven.</summary>
public sealed class SetPipelineOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Music";

    /// <summary>The model call starts at the latest this long before the job's deadline, with the tracks enriched by then. Default 60 s.</summary>
    public TimeSpan LlmReserve { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Candidates gathered per track of the set, so the sequencer has tracks to choose from. Default 4.</summary>
    public double PoolFactor { get; set; } = 4;

    /// <summary>The smallest pool, whatever the set's size. Default 40.</summary>
    public int MinPool { get; set; } = 40;

    /// <summary>The largest pool: each candidate costs a few upstream calls of the job's budget. Default 200.</summary>
    public int MaxPool { get; set; } = 200;

    /// <summary>The pool gathered for a set of <paramref name="tracks"/> tracks.</summary>
    /// <param name="tracks">The set's size.</param>
    /// <returns>Candidates to gather.</returns>
    public int PoolSize(int tracks) => Math.Max(tracks, Math.Min(MaxPool, Math.Max(MinPool, (int)Math.Ceiling(tracks * PoolFactor))));
}
