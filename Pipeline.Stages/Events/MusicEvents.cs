using Pipeline.Events;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Events;

/// <summary>Search found a candidate.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Track">The track as found.</param>
[PipelineEventType("track.found")]
public sealed record TrackFound(string JobId, DateTimeOffset At, Track Track) : PipelineEvent(JobId, At);

/// <summary>A candidate has its features, BPM and tags (as far as the upstreams gave them).</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Track">The enriched track.</param>
[PipelineEventType("track.enriched")]
public sealed record TrackEnriched(string JobId, DateTimeOffset At, Track Track) : PipelineEvent(JobId, At);

/// <summary>The next piece of the model's text.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Text">The delta.</param>
[PipelineEventType("llm.delta", Lag = LagMerge.JoinText)]
public sealed record LlmDelta(string JobId, DateTimeOffset At, string Text) : PipelineEvent(JobId, At);

/// <summary>The model's text is complete.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Text">The whole text.</param>
[PipelineEventType("llm.completed")]
public sealed record LlmCompleted(string JobId, DateTimeOffset At, string Text) : PipelineEvent(JobId, At);

/// <summary>What the request was understood to ask for; published as the job starts.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Intent">The parsed intent.</param>
[PipelineEventType("intent")]
public sealed record IntentParsed(string JobId, DateTimeOffset At, Intent.SetIntent Intent) : PipelineEvent(JobId, At);

/// <summary>The sequencer has chosen and ordered the set; the model writes its notes next.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Set">The set in play order, without notes.</param>
[PipelineEventType("set.ordered")]
public sealed record SetOrdered(string JobId, DateTimeOffset At, Sequencing.SetResult Set) : PipelineEvent(JobId, At);

/// <summary>What became of the model's answer: whether its order was used, and why not.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="OrderUsed">True when the model's order replaced the sequencer's.</param>
/// <param name="NotesUsed">Transition notes taken from the answer.</param>
/// <param name="Reason">Why the answer's order was not used, or <c>kept</c> when it was the sequencer's.</param>
[PipelineEventType("set.reviewed")]
public sealed record SetReviewed(string JobId, DateTimeOffset At, bool OrderUsed, int NotesUsed, string Reason) : PipelineEvent(JobId, At);

/// <summary>The finished set, in play order with its transitions and quality; the last event before the terminal one.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Set">The set.</param>
[PipelineEventType("set.completed")]
public sealed record SetCompleted(string JobId, DateTimeOffset At, Sequencing.SetResult Set) : PipelineEvent(JobId, At);
