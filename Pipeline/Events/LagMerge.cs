namespace Pipeline.Events;

/// <summary>What a reader that has fallen behind may receive in place of every event of a type.</summary>
public enum LagMerge
{
    /// <summary>Every event reaches the reader.</summary>
    None,

    /// <summary>Only the latest of a batch reaches the reader: each supersedes the ones before it (e.g. progress counts).</summary>
    Latest,

    /// <summary>A run of consecutive events reaches the reader as one, carrying the last one's id and their <c>text</c> fields joined.</summary>
    JoinText,
}
