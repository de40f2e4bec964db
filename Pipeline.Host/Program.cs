using System.Text.Json.Serialization;
using Pipeline;
using Pipeline.Host;
using Pipeline.Host.Jobs;
using Pipeline.Host.Telemetry;
using Pipeline.Sandbox;
using Pipeline.Stages;
using Pipeline.Stages.Upstreams;

var builder = WebApplication.CreateBuilder(args);
builder.UsePipelineDefaults().UsePipelineLogging();
builder.Services.AddPipelineCore().AddMusicStages();
var sandboxElsewhere = builder.Configuration[$"{UpstreamOptions.Section}:SandboxUrl"] is { Length: > 0 };
if (!sandboxElsewhere)
{
    builder.Services.AddSandbox(); // the offline upstreams, in this process
}

builder.Services.AddJobApi();
builder.Services.AddPipelineTelemetry();
builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
    json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict; // "30" is not a number
});

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseCors();
app.UseRateLimiter();
app.MapOpenApi();
app.MapPipelineEndpoints();
if (!sandboxElsewhere)
{
    app.UseSandbox();
    app.MapSandbox();
}

app.Run();

/// <summary>The host's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
