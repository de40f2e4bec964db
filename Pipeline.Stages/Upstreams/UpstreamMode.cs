namespace Pipeline.Stages.Upstreams;

/// <summary>Which services the upstream clients call.</summary>
public enum UpstreamMode
{
    /// <summary>Each upstream is real when its keys are configured, else the sandbox.</summary>
    Auto,

    /// <summary>Every upstream is the offline sandbox.</summary>
    Sandbox,

    /// <summary>Every upstream is the real service; missing keys stop the host at start.</summary>
    Real,
}
