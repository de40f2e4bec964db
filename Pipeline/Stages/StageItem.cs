using Pipeline.Jobs;

namespace Pipeline.Stages;

/// <summary>An item on its way through the stages, with the job it belongs to.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Job">The item's job: id, cancellation, deadline, budget.</param>
/// <param name="Value">The payload.</param>
public readonly record struct StageItem<T>(JobContext Job, T Value);
