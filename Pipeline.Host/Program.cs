using System.Text.Json.Serialization;
using Pipeline;
using Pipeline.Host;

var builder = WebApplication.CreateBuilder(args);
builder.UsePipelineDefaults();
builder.Services.AddPipelineCore();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

var app = builder.Build();
app.MapPipelineEndpoints();
app.Run();

/// <summary>The host's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
