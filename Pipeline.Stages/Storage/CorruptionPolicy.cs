namespace Pipeline.Stages.Storage;

/// <summary>What the host does with a store or cache file that does not open or read back at start.</summary>
public enum CorruptionPolicy
{
    /// <summary>Moves the file (and its log) aside as <c>&lt;name&gt;.corrupt-&lt;UTC time&gt;</c>, logs an Error naming it, and starts with a fresh store.</summary>
    Quarantine,

    /// <summary>Refuses to start, with a message naming the file.</summary>
    Fail,
}
