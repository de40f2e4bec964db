namespace Pipeline.Stages;

/// <summary>The one counted end of every item that reaches a stage.</summary>
public enum ItemOutcome
{
    /// <summary>Its work succeeded; its outputs went on.</summary>
    Passed,

    /// <summary>Refused at the stage's door.</summary>
    Shed,

    /// <summary>Its work failed; the job goes on without it.</summary>
    Failed,

    /// <summary>Its job had ended (cancelled, completed or timed out): dropped without work.</summary>
    Cancelled,

    /// <summary>Its job's call budget ran out.</summary>
    BudgetExhausted,
}

/// <summary>Tag values for <see cref="ItemOutcome"/>.</summary>
public static class ItemOutcomeExtensions
{
    /// <summary>The snake_case value used in metrics and dead letters.</summary>
    public static string ToTag(this ItemOutcome outcome) => outcome switch
    {
        ItemOutcome.Passed => "passed",
        ItemOutcome.Shed => "shed",
        ItemOutcome.Failed => "failed",
        ItemOutcome.Cancelled => "cancelled",
        ItemOutcome.BudgetExhausted => "budget_exhausted",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
