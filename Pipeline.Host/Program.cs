using System.Text.Json.Serialization;
using Pipeline;
using Pipeline.Host;
using Pipeline.Host.Jobs;
using Pipeline.Host.Sandbox;
using Pipeline.Host.Telemetry;
using Pipeline.Stages;

var builder = WebApplication.CreateBuilder(args);
builder.UsePipelineDefaults().UsePipelineLogging();
builder.Services.AddPipelineCore().AddMusicStages();
builder.Services.AddSandbox();
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
app.UseSandbox();
app.MapSandbox();
app.Run();

/// <summary>The host's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
