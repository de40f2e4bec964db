using Pipeline;
using Pipeline.Host;
using Pipeline.Host.Http;
using Pipeline.Host.Jobs;
using Pipeline.Host.Security;
using Pipeline.Host.Telemetry;
using Pipeline.Redis;
using Pipeline.Stages;

var builder = WebApplication.CreateBuilder(args);
builder.UsePipelineDefaults().UsePipelineLogging().AddInProcessSandbox();
builder.Services
    .AddPipelineCore()
    .AddRedisCluster(builder.Configuration)
    .AddMusicStages()
    .AddPipelineAuth()
    .AddPipelineCors()
    .AddPipelineRateLimiting()
    .AddPipelineProblemDetails()
    .AddJobApi()
    .AddPipelineTelemetry();

var app = builder.Build();
app.UseSecurityHeaders();
app.UseRequestLimits();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseCors();
app.MapPipelineEndpoints();
app.MapInProcessSandbox();
app.Run();

/// <summary>The host's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
