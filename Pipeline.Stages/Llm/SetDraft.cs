using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Stages.Llm;

/// <summary>A job's ordered set on its way to the model; <see cref="Done"/> gets the finished set.</summary>
internal sealed record SetDraft(SetRequest Request, SetIntent Intent, SetResult Set)
{
    public TaskCompletionSource<SetResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override string ToString() => Request.ToString();
}
