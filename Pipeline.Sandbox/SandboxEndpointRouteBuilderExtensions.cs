using Pipeline.Sandbox.Upstreams;

namespace Pipeline.Sandbox;

/// <summary>Maps the sandbox's fake upstreams under <c>/sandbox</c>.</summary>
public static class SandboxEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps Spotify (<c>/sandbox/spotify-accounts/api/token</c>, <c>/sandbox/spotify/v1/…</c>), Deezer
    /// (<c>/sandbox/deezer/…</c>), Last.fm (<c>/sandbox/lastfm/2.0/</c>), Anthropic (<c>/sandbox/anthropic/v1/messages</c>),
    /// OpenAI-compatible (<c>/sandbox/openai/v1/chat/completions</c>) and the request log (<c>GET /sandbox/requests</c>).
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapSandbox(this IEndpointRouteBuilder endpoints)
    {
        var sandbox = endpoints.MapGroup("/sandbox").ExcludeFromDescription()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes))
            .AddEndpointFilter(SameMachineOnly);
        sandbox.MapGet("/requests", (SandboxRequestLog log, string? upstream) => TypedResults.Ok(log.Snapshot(upstream)));
        sandbox.MapDelete("/requests", (SandboxRequestLog log) =>
        {
            log.Clear();
            return TypedResults.NoContent();
        });

        sandbox.MapPost("/spotify-accounts/expire", (SpotifySandbox s) => s.ExpireTokens());
        var accounts = Logged(sandbox.MapGroup("/spotify-accounts"), SpotifySandbox.Upstream);
        accounts.MapPost("/api/token", (SpotifySandbox s, HttpRequest r, IFormCollection form) => s.Token(r, form)).DisableAntiforgery();
        var spotify = Logged(sandbox.MapGroup("/spotify/v1"), SpotifySandbox.Upstream);
        spotify.MapGet("/search", (SpotifySandbox s, HttpRequest r, CancellationToken ct) => s.SearchAsync(r, ct));
        spotify.MapGet("/audio-features", (SpotifySandbox s, HttpRequest r, CancellationToken ct) => s.AudioFeaturesAsync(r, ct));

        var deezer = Logged(sandbox.MapGroup("/deezer"), DeezerSandbox.Upstream);
        deezer.MapGet("/search", (DeezerSandbox s, HttpRequest r, CancellationToken ct) => s.SearchAsync(r, ct));
        deezer.MapGet("/track/{id}", (DeezerSandbox s, string id, CancellationToken ct) => s.TrackAsync(id, ct));

        var lastfm = Logged(sandbox.MapGroup("/lastfm/2.0"), LastFmSandbox.Upstream);
        lastfm.MapGet("/", (LastFmSandbox s, HttpRequest r, CancellationToken ct) => s.CallAsync(r, ct));

        var anthropic = Logged(sandbox.MapGroup("/anthropic/v1"), LlmSandbox.AnthropicUpstream);
        anthropic.MapPost("/messages", (LlmSandbox s, HttpRequest r, CancellationToken ct) => s.AnthropicAsync(r, ct));
        var openai = Logged(sandbox.MapGroup("/openai/v1"), LlmSandbox.OpenAiUpstream);
        openai.MapPost("/chat/completions", (LlmSandbox s, HttpRequest r, CancellationToken ct) => s.OpenAiAsync(r, ct));
        return endpoints;
    }

    private static readonly object ArrivedKey = new();

    /// <summary>The largest request body a fake upstream reads: a model prompt for a set is a few KiB.</summary>
    private const long MaxBodyBytes = 1024 * 1024;

    // The sandbox stands in for services a host calls: it answers callers on this machine (loopback, or the address
    // the call came in on) unless Pipeline:Sandbox:AllowRemote says otherwise; to anyone else it is not there.
    internal static ValueTask<object?> SameMachineOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var remote = http.Connection.RemoteIpAddress;
        var allowed = remote is null || System.Net.IPAddress.IsLoopback(remote) || remote.Equals(http.Connection.LocalIpAddress)
            || http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SandboxOptions>>().Value.AllowRemote;
        return allowed ? next(context) : ValueTask.FromResult<object?>(TypedResults.NotFound());
    }

    /// <summary>
    /// Stamps each sandbox request's arrival before routing and endpoint work (whose first run is slowed by JIT), so
    /// the request log's rate view is the one a real upstream would have. Call before <see cref="MapSandbox"/>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseSandbox(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var time = app.ApplicationServices.GetRequiredService<TimeProvider>();
        return app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/sandbox", StringComparison.Ordinal))
            {
                context.Items[ArrivedKey] = time.GetUtcNow();
            }

            return next(context);
        });
    }

    // Every request a fake upstream serves is logged with its arrival time, so tests can check the rate from outside.
    private static RouteGroupBuilder Logged(RouteGroupBuilder group, string upstream)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var time = services.GetRequiredService<TimeProvider>();
            var at = context.HttpContext.Items[ArrivedKey] is DateTimeOffset arrived ? arrived : time.GetUtcNow();
            var result = await next(context);
            var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : context.HttpContext.Response.StatusCode;
            services.GetRequiredService<SandboxRequestLog>().Add(new SandboxRequest(upstream, SandboxReply.LoggedPath(context.HttpContext.Request), status, at, time.GetUtcNow()));
            return result;
        });
        return group;
    }
}
