using Pipeline.Stages.Music;

namespace Pipeline.Stages.Llm;

/// <summary>A job's request and enriched tracks, on their way to the model; <see cref="Done"/> gets the text.</summary>
internal sealed record SetDraft(SetRequest Request, IReadOnlyList<Track> Tracks)
{
    public TaskCompletionSource<string> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override string ToString() => Request.ToString();
}
