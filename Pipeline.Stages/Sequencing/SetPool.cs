using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>A job's enriched pool on its way to the sequencing stage.</summary>
internal sealed record SetPool(SetRequest Request, SetIntent Intent, IReadOnlyList<Track> Tracks)
{
    public override string ToString() => Request.ToString();
}
