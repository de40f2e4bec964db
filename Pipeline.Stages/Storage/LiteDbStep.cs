namespace Pipeline.Stages.Storage;

/// <summary>What a <see cref="LiteDbOwner{T}"/> does after a store's step.</summary>
/// <param name="Done">The store is done: the loop ends.</param>
/// <param name="Again">Read the queue and step again at once.</param>
/// <param name="WakeAt">Step again at this time, or sooner when an operation comes.</param>
internal readonly record struct LiteDbStep(bool Done, bool Again, DateTimeOffset? WakeAt)
{
    /// <summary>Nothing to do until an operation comes (the loop ends if none can).</summary>
    public static LiteDbStep Idle => default;

    /// <summary>Step again at once.</summary>
    public static LiteDbStep Now => new(false, true, null);

    /// <summary>The loop ends.</summary>
    public static LiteDbStep Finished => new(true, false, null);

    /// <summary>Step again at <paramref name="at"/>, or sooner when an operation comes.</summary>
    public static LiteDbStep Until(DateTimeOffset at) => new(false, false, at);
}
