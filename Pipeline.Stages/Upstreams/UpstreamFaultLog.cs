using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Telemetry;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Expected upstream faults (retries after a 429, a 5xx or a timeout; attempts timed out; the circuit opening) told
/// calmly: counted per upstream as Polly reports them, and written as one Warning line per upstream and
/// <see cref="UpstreamOptions.FaultLogInterval"/> ("lastfm: 37 retries, 5 timeouts, circuit opened 1 time in the last
/// 30 s"), never a line per call. Polly's own lines for these events are lowered to Debug
/// (<see cref="Severity"/>); its metrics go on as before.
/// </summary>
internal sealed partial class UpstreamFaultLog(IOptions<UpstreamOptions> options, TimeProvider time, ILogger<UpstreamFaultLog> logger) : TelemetryListener, IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, Counts> _counts = new(StringComparer.Ordinal);
    private ITimer? _timer;

    /// <summary>The severity Polly logs an event with: Debug for the expected faults this class sums up.</summary>
    public static ResilienceEventSeverity Severity(SeverityProviderArguments args) => args.Event.EventName switch
    {
        "ExecutionAttempt" or "OnRetry" or "OnTimeout" or "OnCircuitOpened" or "OnCircuitHalfOpened" or "OnCircuitClosed" => ResilienceEventSeverity.Debug,
        _ => args.Event.Severity,
    };

    public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
    {
        var counts = args.Event.EventName switch
        {
            "OnRetry" or "OnTimeout" or "OnCircuitOpened" => _counts.GetOrAdd(Upstream(args.Source.PipelineName), static _ => new Counts()),
            _ => null,
        };
        if (counts is null)
        {
            return;
        }

        switch (args.Event.EventName)
        {
            case "OnRetry":
                Interlocked.Increment(ref counts.Retries);
                break;
            case "OnTimeout":
                Interlocked.Increment(ref counts.Timeouts);
                break;
            default:
                Interlocked.Increment(ref counts.CircuitOpened);
                break;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var every = options.Value.FaultLogInterval;
        _timer = time.CreateTimer(static state => ((UpstreamFaultLog)state!).Report(), this, every, every);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Report();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>Writes one line per upstream that had faults since the last report, and starts counting again.</summary>
    internal void Report()
    {
        foreach (var (upstream, counts) in _counts.ToArray().OrderBy(c => c.Key, StringComparer.Ordinal)) // a snapshot: LINQ's copy would race a new upstream
        {
            var (retries, timeouts, opened) = (Interlocked.Exchange(ref counts.Retries, 0), Interlocked.Exchange(ref counts.Timeouts, 0), Interlocked.Exchange(ref counts.CircuitOpened, 0));
            if (retries + timeouts + opened > 0)
            {
                LogFaults(logger, upstream, retries, timeouts, opened, options.Value.FaultLogInterval.TotalSeconds);
            }
        }
    }

    // HttpClientFactory names a client's pipeline "<client>-<pipeline>": the client is the upstream (a typed client by its type).
    private static string Upstream(string? pipeline)
    {
        var client = pipeline?.Split('-')[0] ?? "upstream";
        return client switch
        {
            nameof(SpotifyClient) or SpotifyTokenProvider.ClientName => SpotifyClient.Lane,
            nameof(DeezerClient) => DeezerClient.Lane,
            nameof(LastFmClient) => LastFmClient.Lane,
            _ => client,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Upstream}: {Retries} retries, {Timeouts} attempts timed out, circuit opened {Opened} times in the last {Seconds} s")]
    private static partial void LogFaults(ILogger logger, string upstream, long retries, long timeouts, long opened, double seconds);

    private sealed class Counts
    {
        public long Retries;
        public long Timeouts;
        public long CircuitOpened;
    }
}
