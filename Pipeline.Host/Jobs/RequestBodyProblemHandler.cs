using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Pipeline.Host.Jobs;

/// <summary>
/// A request the API could not bind, as a problem that names what is wrong. A body System.Text.Json could not read
/// is a 400 naming the field and what it expects (<c>"trackCount" must be an integer from 1 to 200</c>), a field the
/// API does not know, a body that is not a JSON object, or one that is not UTF-8; any other binding failure keeps
/// its status (415, 413…) and says why. A client's error: no stack trace, no Error line.
/// </summary>
internal sealed class RequestBodyProblemHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        ProblemDetails problem;
        if (bad.InnerException is JsonException json)
        {
            var (field, error) = Describe(json);
            problem = new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [error] }) { Title = "Invalid request body", Detail = error };
        }
        else
        {
            problem = new ProblemDetails { Title = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(bad.StatusCode), Detail = bad.Message }; // a client's error: no stack, no Error line
        }

        problem.Status = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }

    private static (string Field, string Error) Describe(JsonException json)
    {
        if (json.InnerException is System.Text.DecoderFallbackException || $"{json.Message} {json.InnerException?.Message}".Contains("UTF-8", StringComparison.Ordinal))
        {
            return ("body", "The body is not valid UTF-8 text.");
        }

        if (json.Path is null or "$" && !json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return ("body", $"The body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).");
        }

        var field = FieldOf(json.Path);
        if (json.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var unknown = json.Message.Split('\'') is { Length: > 2 } parts ? parts[1] : field;
            return (unknown, $"\"{unknown}\" is not a field of this request; the fields are {string.Join(", ", JobRequest.Expected.Keys.Select(k => $"\"{k}\""))}.");
        }

        return JobRequest.Expected.TryGetValue(field, out var expected)
            ? (field, $"\"{field}\" must be {expected}.")
            : ("body", "The body must be one JSON object, such as {\"prompt\":\"a 124 BPM sunset house set\"}.");
    }

    // "$.seedTracks[2]" names seedTracks; "$" or none, the body itself.
    private static string FieldOf(string? path)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return "body";
        }

        var name = path[2..];
        var end = name.IndexOfAny(['.', '[']);
        return end < 0 ? name : name[..end];
    }
}
