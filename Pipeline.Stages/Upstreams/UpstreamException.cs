namespace Pipeline.Stages.Upstreams;

/// <summary>An upstream call that failed for good (after retries); its reason is a closed-set metric tag.</summary>
public sealed class UpstreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="lane">The upstream.</param>
    /// <param name="reason">A closed-set reason: <c>not_found</c>, <c>rate_limited</c>, <c>upstream_4xx</c>, <c>upstream_5xx</c>, <c>malformed</c>, <c>forbidden</c>, <c>timeout</c>.</param>
    /// <param name="message">What happened (no secrets).</param>
    /// <param name="innerException">The cause, if any.</param>
    public UpstreamException(string lane, string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Lane = lane;
        Reason = reason;
    }

    /// <summary>Every reason an upstream failure can have, for metrics that start each at zero.</summary>
    public static IReadOnlyList<string> Reasons { get; } = ["not_found", "forbidden", "rate_limited", "upstream_4xx", "upstream_5xx", "malformed", "timeout"];

    /// <summary>The upstream.</summary>
    public string Lane { get; }

    /// <summary>The closed-set reason.</summary>
    public string Reason { get; }

    /// <summary>The reason for an HTTP status.</summary>
    /// <param name="status">The status code.</param>
    /// <returns>The reason tag.</returns>
    public static string ReasonFor(int status) => status switch
    {
        404 => "not_found",
        401 or 403 => "forbidden",
        429 => "rate_limited",
        >= 500 => "upstream_5xx",
        _ => "upstream_4xx",
    };
}
