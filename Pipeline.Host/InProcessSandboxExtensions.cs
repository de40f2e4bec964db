using Pipeline.Sandbox;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Host;

/// <summary>
/// The offline upstreams served by the host itself: not when <c>Pipeline:Upstreams:Mode</c> is <c>Real</c> (nothing
/// calls them), nor when <c>Pipeline:Upstreams:SandboxUrl</c> names a sandbox elsewhere.
/// </summary>
public static class InProcessSandboxExtensions
{
    /// <summary>Adds the sandbox to this process unless the upstreams are all real or a sandbox elsewhere is configured.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddInProcessSandbox(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var real = Enum.TryParse<UpstreamMode>(builder.Configuration[$"{UpstreamOptions.Section}:Mode"], ignoreCase: true, out var mode) && mode == UpstreamMode.Real;
        if (!real && builder.Configuration[$"{UpstreamOptions.Section}:SandboxUrl"] is not { Length: > 0 })
        {
            builder.Services.AddSandbox().AddSingleton<InProcessSandbox>();
        }

        return builder;
    }

    /// <summary>Serves the sandbox under <c>/sandbox</c> when <see cref="AddInProcessSandbox"/> added it.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication MapInProcessSandbox(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<InProcessSandbox>() is not null)
        {
            app.UseSandbox();
            app.MapSandbox();
        }

        return app;
    }

    /// <summary>Marks a host that serves the sandbox itself.</summary>
    private sealed class InProcessSandbox;
}
