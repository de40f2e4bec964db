namespace Pipeline.Redis.Jobs;

/// <summary>A job this host claimed from the dispatch stream: its entry there, and the fence every write of it carries.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Entry">Its dispatch entry, which this host's claim holds.</param>
/// <param name="Fence">The claim's generation: a write with an older one is refused.</param>
/// <param name="CancelAsked">A host was asked to cancel it before this one claimed it.</param>
internal sealed record ClaimedJob(string JobId, string Entry, long Fence, bool CancelAsked);
