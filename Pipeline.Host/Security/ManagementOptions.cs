using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Security;

/// <summary>Where the management endpoints (<c>/metrics</c>, <c>/openapi/v1.json</c>) are served.</summary>
public sealed class ManagementOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Pipeline:Management";

    /// <summary>
    /// A listener of their own, e.g. <c>http://127.0.0.1:9464</c>: the management endpoints answer there only, with no
    /// token. Unset, they share the API's listener and, once tokens are set, need one as the API does.
    /// </summary>
    [Url]
    public string? Url { get; set; }

    /// <summary>The port of <see cref="Url"/>, or null when unset.</summary>
    public int? Port => Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? uri.Port : null;
}
