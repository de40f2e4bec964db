using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// The circuit breaker of an endpoint an upstream may close to an app while the rest of it works (Spotify's audio
/// features answer 403 to apps registered after Nov 2024): a 403 or 404 counts as a failure beside the transient ones,
/// and a circuit opened by one stays open for the recheck time, so a closed endpoint costs a couple of calls per
/// recheck, not one per batch. Opened by transient failures alone, it breaks for Polly's usual 5 s.
/// </summary>
internal static class ClosableEndpoint
{
    private static readonly ResiliencePropertyKey<bool> Closed = new("pipeline.endpoint-closed");

    /// <summary>True when the call failed because the endpoint is closed, or its breaker is open.</summary>
    public static bool IsUnavailable(Exception failure) =>
        failure is UpstreamException { Reason: "forbidden" or "not_found" } or BrokenCircuitException;

    /// <summary>The breaker's options: two failures in half a minute open it.</summary>
    public static HttpCircuitBreakerStrategyOptions Breaker(TimeSpan recheck)
    {
        var options = new HttpCircuitBreakerStrategyOptions
        {
            MinimumThroughput = 2,
            FailureRatio = 0.5,
            SamplingDuration = TimeSpan.FromSeconds(30),
        };
        var transient = options.ShouldHandle;
        options.ShouldHandle = args =>
        {
            if (args.Outcome.Result?.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                args.Context.Properties.Set(Closed, true); // read below when this call is the one that opens the circuit
                return ValueTask.FromResult(true);
            }

            return transient(args);
        };
        options.BreakDurationGenerator = args =>
            ValueTask.FromResult(args.Context.Properties.TryGetValue(Closed, out var closed) && closed ? recheck : options.BreakDuration);
        return options;
    }
}
