using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// The floor beside which <see cref="SseScale"/> reports the host: a bare Kestrel SSE endpoint (a minimal API and
/// <c>TypedResults.ServerSentEvents</c>; no logging, middleware, metrics, job log or store) in its own process, fed what
/// the host's benchmark job sends: an event each second (or each heartbeat, when the host's job reports no progress)
/// for as long as the job's search takes, then a burst of 64 at 20 a second, then the end. Every stream follows one shared chain of events.
/// </summary>
internal static class BareSseHost
{
    private const int Burst = 64;
    private static readonly string[] Stages = ["search", "audio-features", "enrich", "llm"];

    /// <param name="quiet">How long the job takes to its burst (the host job's search latency).</param>
    /// <param name="tick">How often an event goes out until then: each second, as the host's progress, or each heartbeat.</param>
    public static async Task RunAsync(TimeSpan quiet, TimeSpan tick)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var events = new EventChain();
        app.MapGet("/health/ready", () => TypedResults.Ok());
        app.MapPost("/v1/jobs", () =>
        {
            _ = events.PublishAsync(quiet, tick);
            return TypedResults.Ok(new { id = "bare" });
        });
        app.MapGet("/v1/jobs/{id}/events", (CancellationToken cancellationToken) => TypedResults.ServerSentEvents(events.ReadAsync(cancellationToken)));
        await app.RunAsync();
    }

    // Each event holds the task of the next, so a reader follows from where it joined with no gap and no per-reader queue.
    private sealed record Link(SseItem<string> Item, Task<Link?> Next);

    private sealed class EventChain
    {
        private TaskCompletionSource<Link?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async IAsyncEnumerable<SseItem<string>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var next = Volatile.Read(ref _next).Task;
            while (await next.WaitAsync(cancellationToken) is { } link)
            {
                yield return link.Item;
                next = link.Next;
            }
        }

        public async Task PublishAsync(TimeSpan quiet, TimeSpan tick)
        {
            var seq = 0;
            var clock = TimeProvider.System;
            using var timer = new PeriodicTimer(tick, clock);
            var end = clock.GetUtcNow() + quiet;
            while (clock.GetUtcNow() < end && await timer.WaitForNextTickAsync())
            {
                Publish(++seq);
            }

            timer.Period = TimeSpan.FromMilliseconds(50);
            for (var i = 0; i < Burst && await timer.WaitForNextTickAsync(); i++)
            {
                Publish(++seq);
            }

            Volatile.Read(ref _next).SetResult(null);
        }

        // About the size of the host's stage.progress event.
        private void Publish(int seq)
        {
            var data = JsonSerializer.Serialize(new
            {
                type = "stage.progress",
                jobId = "bare",
                seq,
                at = TimeProvider.System.GetUtcNow(),
                stages = Stages.ToDictionary(s => s, _ => new { offered = 8, accepted = 8, shed = 0, passed = 4, failed = 0, dropped = 0, inStage = 4 }),
            });
            var next = new TaskCompletionSource<Link?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var current = Interlocked.Exchange(ref _next, next);
            current.SetResult(new Link(new SseItem<string>(data, "stage.progress") { EventId = seq.ToString(CultureInfo.InvariantCulture) }, next.Task));
        }
    }
}
