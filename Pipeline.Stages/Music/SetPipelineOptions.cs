namespace Pipeline.Stages.Music;

/// <summary>How a set job is driven.</summary>
public sealed class SetPipelineOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Music";

    /// <summary>The model call starts at the latest this long before the job's deadline, with the tracks enriched by then. Default 60 s.</summary>
    public TimeSpan LlmReserve { get; set; } = TimeSpan.FromSeconds(60);
}
