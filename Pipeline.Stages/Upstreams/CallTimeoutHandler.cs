using Polly.Timeout;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Outermost handler of an upstream client: holds a call, all its attempts and retries, to the total timeout on a
/// <see cref="CallClock"/> that stops while the call waits for the throttle. A call that runs out of time, or whose
/// last attempt timed out, fails as an expected <see cref="UpstreamException"/> with reason <c>timeout</c>.
/// </summary>
internal sealed class CallTimeoutHandler(string lane, TimeSpan total, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var clock = new CallClock(total, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clock.Expired);
        request.Options.Set(CallClock.Key, clock);
        try
        {
            return await base.SendAsync(request, linked.Token);
        }
        catch (OperationCanceledException e) when (clock.Expired.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(lane, "timeout", $"{lane} did not answer within {total.TotalSeconds:0.#} s over all attempts (waits for the throttle aside).", e);
        }
        catch (TimeoutRejectedException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException(lane, "timeout", $"{lane} did not answer an attempt within {e.Timeout.TotalSeconds:0.#} s.", e);
        }
    }
}
