using Microsoft.Extensions.Configuration.Memory;
using Pipeline.Sandbox.Catalog;

namespace Pipeline.Sandbox;

/// <summary>
/// The sandbox alone (<c>dotnet run --project Pipeline.Sandbox</c>): the same routes, request log and fault settings
/// as in the host, on 127.0.0.1:5090 unless <c>--urls</c> says otherwise, tuned by the <c>Pipeline:Sandbox</c> section
/// of <c>config/pipeline.json</c>. Hosts reach it through <c>Pipeline:Upstreams:SandboxUrl</c>.
/// </summary>
internal static class Program
{
    private const string DefaultUrl = "http://127.0.0.1:5090";

    private static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // A line per request is what a busy upstream never prints: ASP.NET Core's own request lines stay off unless
        // configuration turns them on (this source sits below every other).
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = [new("Logging:LogLevel:Microsoft.AspNetCore", "Warning")] });
        var tuning = builder.Configuration["Pipeline:ConfigFile"] ?? Path.Combine(builder.Environment.ContentRootPath, "..", "config", "pipeline.json");
        builder.Configuration.AddJsonFile(Path.GetFullPath(tuning), optional: true, reloadOnChange: true);
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(args); // over the file, as in the host
        builder.WebHost.UseUrls(builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls : DefaultUrl);
        builder.Services.AddPipelineCore().AddSandbox();
        // Its request log is the upstream's view of the hosts' rate: a request is read and stamped on the socket's own
        // thread as it arrives, not after a wait in the thread pool behind other requests' work (every handler is
        // short, and the catalog is loaded before the first request).
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);

        var app = builder.Build();
        app.UseSandbox();
        app.MapSandbox();
        app.MapGet("/health/live", () => TypedResults.Ok("live"));
        app.MapGet("/health/ready", () => TypedResults.Ok("ready")); // the catalog is loaded: ready once listening
        _ = app.Services.GetRequiredService<MusicCatalog>(); // the catalog and its index, before the first request
        await app.RunAsync();
    }
}
