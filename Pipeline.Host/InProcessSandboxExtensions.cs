using Pipeline.Sandbox;
using Pipeline.Stages.Llm;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Host;

/// <summary>
/// The offline upstreams served by the host itself: only while some client calls them (<c>Pipeline:Upstreams:Mode</c>
/// is <c>Sandbox</c>, or <c>Auto</c> with an upstream's keys missing), and not when <c>Pipeline:Upstreams:SandboxUrl</c>
/// names a sandbox elsewhere.
/// </summary>
public static class InProcessSandboxExtensions
{
    /// <summary>Adds the sandbox to this process while some upstream client calls it, unless a sandbox elsewhere is configured.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddInProcessSandbox(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var upstreams = builder.Configuration.GetSection(UpstreamOptions.Section).Get<UpstreamOptions>() ?? new();
        var llm = builder.Configuration.GetSection(LlmOptions.Section).Get<LlmOptions>() ?? new();
        var called = upstreams.CallsSandbox(upstreams.Spotify.HasKeys) || upstreams.CallsSandbox(upstreams.LastFm.HasKeys) || upstreams.CallsSandbox(llm.Selected.HasKeys);
        if (called && upstreams.SandboxUrl is null)
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
