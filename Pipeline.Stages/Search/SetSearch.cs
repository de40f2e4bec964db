using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;

namespace Pipeline.Stages.Search;

/// <summary>A job's request and its parsed intent, on their way to the search stage.</summary>
internal sealed record SetSearch(SetRequest Request, SetIntent Intent)
{
    public override string ToString() => Request.ToString();
}
