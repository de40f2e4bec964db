using Pipeline.Events;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Events;

/// <summary>Search found a candidate.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Track">The track as found.</param>
public sealed record TrackFound(string JobId, DateTimeOffset At, Track Track) : PipelineEvent(JobId, At)
{
    /// <inheritdoc />
    public override string Type => "track.found";
}

/// <summary>A candidate has its features, BPM and tags (as far as the upstreams gave them).</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Track">The enriched track.</param>
public sealed record TrackEnriched(string JobId, DateTimeOffset At, Track Track) : PipelineEvent(JobId, At)
{
    /// <inheritdoc />
    public override string Type => "track.enriched";
}

/// <summary>The next piece of the model's text.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Text">The delta.</param>
public sealed record LlmDelta(string JobId, DateTimeOffset At, string Text) : PipelineEvent(JobId, At)
{
    /// <inheritdoc />
    public override string Type => "llm.delta";
}

/// <summary>The model's text is complete.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Text">The whole text.</param>
public sealed record LlmCompleted(string JobId, DateTimeOffset At, string Text) : PipelineEvent(JobId, At)
{
    /// <inheritdoc />
    public override string Type => "llm.completed";
}
