namespace Pipeline.Host.Security;

/// <summary>Where the management endpoints (<c>/metrics</c>, <c>/openapi/v1.json</c>) are served.</summary>
public sealed class ManagementOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Pipeline:Management";

    /// <summary>
    /// Listeners of their own, separated by <c>;</c> as in <c>ASPNETCORE_URLS</c>, e.g. <c>http://127.0.0.1:9464</c>:
    /// the management endpoints answer there only, with no token, and the listeners are held to loopback (any other
    /// bind address becomes 127.0.0.1, same port) unless <see cref="AllowRemote"/>. Unset, they share the API's
    /// listener and, once tokens are set, need one as the API does.
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>Lets <see cref="Urls"/> bind beyond loopback, for a Prometheus on another machine: anyone who reaches the port then reads the metrics. Default false.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>The ports of <see cref="Urls"/>; empty when unset.</summary>
    public IReadOnlySet<int> Ports => Addresses(Urls).Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Port : -1).Where(p => p > 0).ToHashSet();

    /// <summary>The addresses in a <c>;</c>-separated list.</summary>
    /// <param name="urls">The list, or null.</param>
    /// <returns>Each address, trimmed.</returns>
    public static IReadOnlyList<string> Addresses(string? urls) =>
        urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
