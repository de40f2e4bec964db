namespace Pipeline.Stages;

/// <summary>Thrown by stage work to fail one item with a closed-set reason (a metric tag).</summary>
public sealed class ItemFailedException : Exception
{
    /// <summary>Fails the item.</summary>
    /// <param name="reason">A reason from a closed set, e.g. <c>upstream_5xx</c>.</param>
    /// <param name="message">What happened, for the dead letter.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ItemFailedException(string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Reason = reason;
    }

    /// <summary>The closed-set reason.</summary>
    public string Reason { get; }
}
