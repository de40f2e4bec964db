using Serilog;
using Serilog.Formatting.Compact;

namespace Pipeline.Host.Telemetry;

/// <summary>Serilog as the host's log sink.</summary>
public static class LoggingHostBuilderExtensions
{
    private const string InteractiveTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    /// <summary>
    /// Logs through Serilog, configured from the <c>Serilog</c> section (levels, enrichers, extra sinks such as a
    /// file): to the console as text when a person watches it, as compact JSON (one object a line) when its output
    /// goes to a file or a collector. Scopes become properties, so a request's lines carry <c>RequestId</c> and a
    /// job's carry <c>JobId</c>. Other logging providers still receive every event (tests read them).
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder UsePipelineLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, logger) =>
            {
                logger.ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(services).Enrich.FromLogContext();
                if (Console.IsOutputRedirected)
                {
                    logger.WriteTo.Console(new CompactJsonFormatter());
                }
                else
                {
                    logger.WriteTo.Console(outputTemplate: InteractiveTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
                }
            },
            preserveStaticLogger: true, // each host its own logger: two hosts in one process never write through the other's
            writeToProviders: true);
        return builder;
    }
}
