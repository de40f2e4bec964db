namespace Pipeline.Sandbox.Faults;

/// <summary>What a fake upstream does with one request.</summary>
internal enum SandboxVerdict
{
    /// <summary>Answer normally.</summary>
    Serve,

    /// <summary>Answer with the upstream's quota signal.</summary>
    OverQuota,

    /// <summary>Answer with the upstream's server error.</summary>
    Fail,

    /// <summary>Answer normally but cut the JSON short.</summary>
    Malform,
}
