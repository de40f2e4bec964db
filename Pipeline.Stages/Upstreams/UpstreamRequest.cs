using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>What an upstream request carries for the handlers: the job that pays for it.</summary>
public static class UpstreamRequest
{
    /// <summary>The job whose budget and fair share the call uses.</summary>
    public static readonly HttpRequestOptionsKey<JobContext> Job = new("Pipeline.Job");

    /// <summary>Marks <paramref name="request"/> as <paramref name="job"/>'s call.</summary>
    /// <param name="request">The request.</param>
    /// <param name="job">The job, or null for calls outside any job.</param>
    /// <returns>The request.</returns>
    public static HttpRequestMessage For(this HttpRequestMessage request, JobContext? job)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (job is not null)
        {
            request.Options.Set(Job, job);
        }

        return request;
    }
}
