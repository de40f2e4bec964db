using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Streaming;
using Pipeline.Host.Telemetry;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Host.Jobs;

/// <summary>The job API: start, stream (resumable), inspect and cancel jobs.</summary>
public static class JobEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /v1/jobs</c>, <c>GET /v1/jobs/{id}/events</c>, <c>GET /v1/jobs/{id}</c>, <c>GET /v1/jobs/{id}/set</c>
    /// (JSON, <c>?format=m3u</c> or <c>?format=csv</c>) and <c>DELETE /v1/jobs/{id}</c>.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var admission = endpoints.ServiceProvider.GetRequiredService<IOptions<AdmissionOptions>>().Value;
        var jobs = endpoints.MapGroup("/v1/jobs").WithTags("Jobs");
        jobs.MapPost("/", Start).WithName("StartJob")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(admission.MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/{id}/events", Events).WithName("JobEvents").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        jobs.MapGet("/{id}", Snapshot).WithName("GetJob").ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/set", Set).WithName("GetJobSet").ProducesProblem(StatusCodes.Status404NotFound)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The same 200 as a download: extended M3U or CSV, by ?format.
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
                {
                    foreach (var type in (string[])["audio/x-mpegurl", "text/csv"])
                    {
                        content[type] = new Microsoft.OpenApi.OpenApiMediaType { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String } };
                    }
                }

                return Task.CompletedTask;
            });
        jobs.MapDelete("/{id}", Cancel).WithName("CancelJob").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<Results<SseStreamResult, Accepted<JobAcceptedResponse>, ValidationProblem, ProblemHttpResult>> Start(
        JobRequest? request, HttpContext http, JobService jobs, Security.JobStartLimiter limiter, Security.ClientStreams streams, SseHeartbeat heartbeat, ReloadableOptions<StreamingOptions> options, HostMetrics metrics)
    {
        if (request is null)
        {
            return TypedResults.Problem("A JSON body with a prompt is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var errors = request.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var client = Security.BearerTokenFilter.Client(http);
        var streaming = http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
        var slot = streaming ? streams.TryOpen(client) : null; // taken before the job starts: a job nobody could watch is not started
        if (streaming && slot is null)
        {
            return TooManyStreams(http);
        }

        if (!limiter.TryAcquire(client, out var wait))
        {
            slot?.Dispose();
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            metrics.Rejected("rate_limited");
            return TypedResults.Problem("Too many jobs started by this client; retry after the given delay.", statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limited");
        }

        var admitted = await jobs.TryStartAsync(request, client);
        if (admitted.Job is not { } job)
        {
            slot?.Dispose();
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(admitted.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            metrics.Rejected(admitted.Refused!);
            var title = admitted.Refused switch
            {
                "stopping" => "Stopping",
                "storage_unavailable" => "Storage unavailable",
                "quota" => "Upstream quotas full",
                "client_jobs" => "Too many jobs",
                _ => "Busy",
            };
            var status = admitted.Refused == "client_jobs" ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable; // the client's own bound, not the host's
            return TypedResults.Problem(admitted.Detail, statusCode: status, title: title);
        }

        if (slot is not null)
        {
            return new SseStreamResult(job.Log.ReadAsync(0, http.RequestAborted, options.Current.LagBound, options.Current.MaxLag), 0, heartbeat, options, metrics, () => jobs.Subscribe(job), slot);
        }

        // A stream shows job.accepted only once it is written; a 202 waits for the same.
        if (!await jobs.KeptAsync(job, http.RequestAborted))
        {
            http.Response.Headers.RetryAfter = "5";
            metrics.Rejected("storage_unavailable");
            return TypedResults.Problem($"The job store could not write the job ({jobs.StoreFault}), so it was not kept; retry after the given delay.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage unavailable");
        }

        var id = job.Id;
        return TypedResults.Accepted($"/v1/jobs/{id}", new JobAcceptedResponse(id, "running", $"/v1/jobs/{id}/events"));
    }

    private static async Task<Results<SseStreamResult, ProblemHttpResult>> Events(
        string id, string? lastEventId, HttpContext http, JobService jobs, Security.ClientStreams streams, SseHeartbeat heartbeat, ReloadableOptions<StreamingOptions> options, HostMetrics metrics)
    {
        var client = Security.BearerTokenFilter.Client(http);
        if (await jobs.FindAsync(id, client, http.RequestAborted) is not { } job)
        {
            return NotFound(id);
        }

        // Browsers send the header on their own reconnects; the query parameter serves a fresh EventSource.
        var resume = http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        var after = 0L;
        if (!string.IsNullOrEmpty(resume) && (!long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after > job.Log.LastSequence))
        {
            return TypedResults.Problem($"Last-Event-ID '{Printable(resume)}' is not an event id of this job (0–{job.Log.LastSequence}).", statusCode: StatusCodes.Status400BadRequest, title: "Invalid Last-Event-ID");
        }

        return streams.TryOpen(client) is { } slot
            ? new SseStreamResult(job.Log.ReadAsync(after, http.RequestAborted, options.Current.LagBound, options.Current.MaxLag), after, heartbeat, options, metrics, () => jobs.Subscribe(job), slot)
            : TooManyStreams(http);
    }

    private static ProblemHttpResult TooManyStreams(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem("This client has as many event streams open as it may; close one, or retry after the given delay.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many streams");
    }

    private static async Task<Results<Ok<JobSnapshot>, ProblemHttpResult>> Snapshot(string id, HttpContext http, JobService jobs) =>
        await jobs.FindAsync(id, Security.BearerTokenFilter.Client(http), http.RequestAborted) is { } job ? TypedResults.Ok(JobSnapshot.Of(job)) : NotFound(id);

    private static async Task<Results<Ok<SetResult>, FileContentHttpResult, ProblemHttpResult>> Set(string id, string? format, HttpContext http, JobService jobs)
    {
        if (format is not (null or "json" or "m3u" or "csv"))
        {
            return TypedResults.Problem(
                $"format '{Printable(format)}' is not one of json, m3u, csv.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid format",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["format"] = ["Use json (default), m3u or csv."] } });
        }

        if (await jobs.FindAsync(id, Security.BearerTokenFilter.Client(http), http.RequestAborted) is not { } job)
        {
            return NotFound(id);
        }

        if (job.View.Snapshot().Set is not { } set)
        {
            return TypedResults.Problem(
                job.Log.Ended is null ? "The set is not decided yet: it comes with the job's set.completed event." : "The job ended without a set.",
                statusCode: StatusCodes.Status409Conflict,
                title: "No set yet");
        }

        var name = SetExport.FileName(job.Record.Prompt, id);
        return format switch
        {
            "m3u" => TypedResults.File(System.Text.Encoding.UTF8.GetBytes(SetExport.M3u(set, job.Record.Prompt)), "audio/x-mpegurl", name + ".m3u"),
            "csv" => TypedResults.File(System.Text.Encoding.UTF8.GetBytes(SetExport.Csv(set)), "text/csv", name + ".csv"),
            _ => TypedResults.Ok(set),
        };
    }

    private static async Task<Results<Accepted<JobSnapshot>, ProblemHttpResult>> Cancel(string id, HttpContext http, JobService jobs)
    {
        if (await jobs.FindAsync(id, Security.BearerTokenFilter.Client(http), http.RequestAborted) is not { } job)
        {
            return NotFound(id);
        }

        if (!await jobs.CancelAsync(job))
        {
            var state = JobSnapshot.Of(job).State;
            return TypedResults.Problem($"Job '{Printable(id)}' has already ended ({state}); there is nothing to cancel.", statusCode: StatusCodes.Status409Conflict, title: "Job already ended", extensions: new Dictionary<string, object?> { ["state"] = state });
        }

        return TypedResults.Accepted($"/v1/jobs/{id}", JobSnapshot.Of(job));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No job with id '{Printable(id)}'.", statusCode: StatusCodes.Status404NotFound, title: "Job not found");

    // Echoed input stays printable and short.
    private static string Printable(string text) => new([.. text.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}

/// <summary>The answer to <c>POST /v1/jobs</c> without an event-stream Accept header.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Status">Its state.</param>
/// <param name="Events">Where its event stream is.</param>
public sealed record JobAcceptedResponse(string Id, string Status, string Events);
