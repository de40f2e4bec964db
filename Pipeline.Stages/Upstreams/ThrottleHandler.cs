using System.Net;
using Pipeline.Throttling;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Puts every attempt of an upstream call through the shared throttle: lane slot, rate permit and one unit of the
/// job's budget, with the call's <see cref="CallClock"/> stopped while it waits. The slot is held until the response is disposed (for a stream, until it ends); a 429 or 503
/// with Retry-After pauses the lane for everyone. Each attempt's answer is counted by status class.
/// </summary>
internal sealed class ThrottleHandler(Throttle throttle, string lane, UpstreamMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var job = request.Options.TryGetValue(UpstreamRequest.Job, out var tagged) ? tagged : UpstreamRequest.Current;
        var clock = request.Options.TryGetValue(CallClock.Key, out var found) ? found : null;
        clock?.Pause(); // waiting for a permit is not the upstream's time: the job's deadline bounds it
        ThrottleLease lease;
        try
        {
            lease = (await throttle.AcquireAsync(lane, job, cancellationToken)).EnsureAcquired();
        }
        finally
        {
            clock?.Resume();
        }

        HttpResponseMessage response;
        try
        {
            SendStamp.Arm(lease);
            response = await base.SendAsync(request, cancellationToken);
        }
        catch
        {
            metrics.Answered(lane, null);
            lease.Dispose();
            throw;
        }

        metrics.Answered(lane, (int)response.StatusCode);
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && RetryAfter(response) is { } retryAfter)
        {
            throttle.PauseLane(lane, retryAfter);
        }

        response.Content = new LeasedContent(response.Content, lease);
        return response;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - (response.Headers.Date ?? date),
        _ => null,
    };
}
