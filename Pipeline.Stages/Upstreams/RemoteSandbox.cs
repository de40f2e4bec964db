namespace Pipeline.Stages.Upstreams;

/// <summary>A sandbox in a process of its own, at <c>Pipeline:Upstreams:SandboxUrl</c>.</summary>
/// <param name="Url">Where it listens; its routes are under <c>/sandbox/</c>.</param>
internal sealed record RemoteSandbox(Uri Url) : ISandboxAddress
{
    public Uri BaseAddress { get; } = new(Url, "sandbox/");
}
