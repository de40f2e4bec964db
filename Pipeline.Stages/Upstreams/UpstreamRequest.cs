using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>What an upstream request carries for the handlers: the job that pays for it.</summary>
public static class UpstreamRequest
{
    /// <summary>The job whose budget and fair share the call uses.</summary>
    public static readonly HttpRequestOptionsKey<JobContext> Job = new("Pipeline.Job");

    private static readonly AsyncLocal<JobContext?> Ambient = new();

    /// <summary>The job of calls made in this async flow by SDKs that build their own requests.</summary>
    public static JobContext? Current => Ambient.Value;

    /// <summary>Makes <paramref name="job"/> pay for every upstream call this flow makes until disposed.</summary>
    /// <param name="job">The job.</param>
    /// <returns>A scope restoring the previous job.</returns>
    public static IDisposable Use(JobContext job)
    {
        var previous = Ambient.Value;
        Ambient.Value = job;
        return new Scope(previous);
    }

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

    private sealed class Scope(JobContext? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
