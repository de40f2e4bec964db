namespace Pipeline.Stages;

/// <summary>What a stage does with an item offered while its buffer (or the job's share of it) is full.</summary>
public enum OverflowPolicy
{
    /// <summary>The producer waits for room: back-pressure.</summary>
    Wait,

    /// <summary>The item is refused at once, counted and reported to its job.</summary>
    Shed,
}
