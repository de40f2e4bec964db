namespace Pipeline.Host.Jobs;

/// <summary>What admission made of a job: started (or queued for a running slot), or refused with a reason and when to ask again.</summary>
/// <param name="Job">The job; null when refused.</param>
/// <param name="Refused">
/// Why not: <c>stopping</c>, <c>storage_unavailable</c> (the job could not be kept), <c>busy</c> (running and queued
/// jobs at their bounds), <c>client_jobs</c> (the client's own running and queued jobs at its bound) or <c>quota</c> (the upstream calls already queued would keep it waiting past its deadline).
/// </param>
/// <param name="Detail">What the refusal means for the client.</param>
/// <param name="RetryAfter">When asking again may succeed.</param>
internal readonly record struct Admission(HostedJob? Job, string? Refused = null, string? Detail = null, TimeSpan RetryAfter = default)
{
    /// <summary>The reasons a job can be refused (and <c>rate_limited</c>, a client past its starts a minute), for metrics that start every label at zero.</summary>
    public static readonly string[] Reasons = ["busy", "client_jobs", "quota", "rate_limited", "stopping", "storage_unavailable"];
}
