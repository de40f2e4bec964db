using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;
using Pipeline.Host.Transport;

namespace Pipeline.Host;

/// <summary>Host defaults: the loopback address, the tuning file in <c>config/</c> and Kestrel's transport settings.</summary>
public static class PipelineHostBuilderExtensions
{
    /// <summary>The address the host listens on when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> names one.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The configuration key naming the tuning file; by default <c>config/pipeline.json</c> of the repository.</summary>
    public const string ConfigFileKey = "Pipeline:ConfigFile";

    /// <summary>
    /// Reads the tuning file (optional, reloaded on change) after <c>appsettings*.json</c> and before environment
    /// variables and the command line, which keep the last word; listens on <see cref="DefaultUrl"/> unless told otherwise
    /// (with no API token, on loopback only, whether the address comes from the URLs or from Kestrel's endpoints), and on
    /// the management endpoints' own listeners when <see cref="Security.ManagementOptions.Urls"/> names any;
    /// caps connections below the open-files limit and applies <see cref="TransportOptions"/>.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder UsePipelineDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var source = new JsonConfigurationSource { Path = Path.GetFullPath(TuningFile(builder)), Optional = true, ReloadOnChange = true };
        source.ResolveFileProvider();
        var sources = builder.Configuration.Sources;
        var afterJson = sources.Select((s, i) => (s, i)).LastOrDefault(p => p.s is JsonConfigurationSource).i + 1;
        sources.Insert(afterJson, source);

        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : DefaultUrl;
        var management = Security.ManagementOptions.Addresses(builder.Configuration[$"{Security.ManagementOptions.Section}:Urls"]);
        if (management.Count > 0)
        {
            // The management endpoints' own listeners take no token: on loopback unless they may be reached from elsewhere.
            var remote = builder.Configuration.GetValue<bool>($"{Security.ManagementOptions.Section}:AllowRemote");
            urls += ";" + string.Join(';', management.Select(url => remote ? url : Loopback(url)));
        }

        var auth = builder.Configuration.GetSection(Security.AuthOptions.Section).Get<Security.AuthOptions>() ?? new();
        if (!auth.Enabled)
        {
            // An open API is for this machine only: any other bind address becomes loopback, same port.
            urls = string.Join(';', urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Loopback));

            // Kestrel's own endpoints (Kestrel:Endpoints:{name}:Url) win over the URLs above: they are held to loopback too.
            var endpoints = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren()
                .Where(e => e["Url"] is { Length: > 0 } url && Loopback(url) != url)
                .ToDictionary(e => $"Kestrel:Endpoints:{e.Key}:Url", e => (string?)Loopback(e["Url"]!));
            if (endpoints.Count > 0)
            {
                builder.Configuration.AddInMemoryCollection(endpoints);
            }
        }

        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(Security.ConnectionLimits.Apply);
        builder.WebHost.ConfigureKestrel(Http.RequestLimits.Apply);
        builder.Services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<SocketTransportOptions>()
            .Configure<IOptions<TransportOptions>>((sockets, transport) => sockets.UnsafePreferInlineScheduling = transport.Value.InlineScheduling);
        return builder;
    }

    private static string Loopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var parsed))
        {
            return url; // not an address: the options' validation names it
        }

        var uri = new UriBuilder(parsed);
        if (uri.Host is "127.0.0.1" or "localhost" or "[::1]" or "::1")
        {
            return url;
        }

        uri.Host = "127.0.0.1";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    private static string TuningFile(WebApplicationBuilder builder)
    {
        if (builder.Configuration[ConfigFileKey] is { Length: > 0 } configured)
        {
            return Path.Combine(builder.Environment.ContentRootPath, configured);
        }

        // `dotnet run --project Pipeline.Host` runs in the project folder; a published host carries config/ beside it.
        var repository = Path.Combine(builder.Environment.ContentRootPath, "..", "config", "pipeline.json");
        return File.Exists(repository) ? repository : Path.Combine(builder.Environment.ContentRootPath, "config", "pipeline.json");
    }
}
