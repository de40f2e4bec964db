using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Stages.Llm;

/// <summary>A job's ordered set on its way from the sequencing stage to the model.</summary>
internal sealed record SetDraft(SetRequest Request, SetIntent Intent, SetResult Set)
{
    public override string ToString() => Request.ToString();
}
