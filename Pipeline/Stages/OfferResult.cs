namespace Pipeline.Stages;

/// <summary>A stage's answer to an offered item.</summary>
/// <param name="Accepted">True when the stage took the item.</param>
/// <param name="Reason">Why it was shed, else <see cref="ShedReason.None"/>.</param>
public readonly record struct OfferResult(bool Accepted, ShedReason Reason)
{
    /// <summary>The item was taken.</summary>
    public static OfferResult Taken { get; } = new(true, ShedReason.None);

    /// <summary>The item was refused for <paramref name="reason"/>.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The refusal.</returns>
    public static OfferResult Shed(ShedReason reason) => new(false, reason);
}
