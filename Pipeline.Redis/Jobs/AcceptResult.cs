namespace Pipeline.Redis.Jobs;

/// <summary>What the cluster answered a new job.</summary>
internal enum AcceptResult
{
    /// <summary>Kept and dispatched.</summary>
    Accepted,

    /// <summary>The cluster holds as many jobs, running or waiting, as it takes.</summary>
    Busy,

    /// <summary>The client has as many jobs running or waiting as it may.</summary>
    ClientBound,
}
