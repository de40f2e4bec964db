namespace Pipeline.Stages.Upstreams;

/// <summary>Where the offline sandbox listens; the host knows once it has started.</summary>
public interface ISandboxAddress
{
    /// <summary>The sandbox's base address, e.g. <c>http://127.0.0.1:5080/sandbox/</c>.</summary>
    Uri BaseAddress { get; }
}
