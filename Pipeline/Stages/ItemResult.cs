namespace Pipeline.Stages;

/// <summary>What a batch stage's work made of one item of the batch.</summary>
/// <typeparam name="T">The output type.</typeparam>
public readonly record struct ItemResult<T>
{
    internal ItemResult(ItemOutcome outcome, T? value, string? reason, string? detail)
    {
        Outcome = outcome;
        Value = value;
        Reason = reason;
        Detail = detail;
    }

    /// <summary><see cref="ItemOutcome.Passed"/> or <see cref="ItemOutcome.Failed"/>.</summary>
    public ItemOutcome Outcome { get; }

    /// <summary>The output, when passed.</summary>
    public T? Value { get; }

    /// <summary>The failure reason, when failed.</summary>
    public string? Reason { get; }

    /// <summary>The failure detail, when failed.</summary>
    public string? Detail { get; }
}

/// <summary>Makes <see cref="ItemResult{T}"/> values.</summary>
public static class ItemResult
{
    /// <summary>The item passed with <paramref name="value"/>.</summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="value">The output.</param>
    /// <returns>The result.</returns>
    public static ItemResult<T> Ok<T>(T value) => new(ItemOutcome.Passed, value, null, null);

    /// <summary>The item failed.</summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="reason">A closed-set reason.</param>
    /// <param name="detail">What happened.</param>
    /// <returns>The result.</returns>
    public static ItemResult<T> Fail<T>(string reason, string? detail = null) => new(ItemOutcome.Failed, default, reason, detail);
}
