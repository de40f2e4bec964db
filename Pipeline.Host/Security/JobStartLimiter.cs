using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;

namespace Pipeline.Host.Security;

/// <summary>
/// The per-client limit on starting jobs (<c>Pipeline:Admission:JobsPerClientPerMinute</c> in any sliding minute),
/// keyed on the authenticated client's name and taken only by a valid request: after authentication and validation, so
/// neither the header's spelling nor a bad body moves it. With the API open every caller is the one local client.
/// </summary>
internal sealed class JobStartLimiter : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter;

    public JobStartLimiter(IOptions<AdmissionOptions> admission)
    {
        var perMinute = admission.Value.JobsPerClientPerMinute;
        _limiter = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetSlidingWindowLimiter(client, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = Window,
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));
    }

    /// <summary>Takes a start from <paramref name="client"/>'s minute; false, with when to ask again, when it has none left.</summary>
    public bool TryAcquire(string client, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(client);
        retryAfter = lease.IsAcquired ? TimeSpan.Zero : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window / 6;
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
