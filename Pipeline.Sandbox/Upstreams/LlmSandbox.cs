using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Sandbox.Faults;

namespace Pipeline.Sandbox.Upstreams;

/// <summary>Anthropic Messages and OpenAI chat completions, streaming the sandbox DJ's answer token by token.</summary>
internal sealed class LlmSandbox(SandboxGate gate, TimeProvider time)
{
    public const string AnthropicUpstream = "anthropic";
    public const string OpenAiUpstream = "openai";

    public async Task<IResult> AnthropicAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // The API takes a key as x-api-key or, as the official SDK sends it, as a bearer token.
        if (string.IsNullOrWhiteSpace(request.Headers["x-api-key"]) && !request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return AnthropicError(StatusCodes.Status401Unauthorized, "authentication_error", "x-api-key header is required");
        }

        var (body, unread) = await ReadAsync(request, cancellationToken);
        if (unread is { } status)
        {
            return AnthropicError(status, "invalid_request_error", status == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "The body is not valid JSON");
        }

        if (body?["messages"] is not JsonArray messages || body["max_tokens"] is null || UserText(messages) is not { } prompt)
        {
            return AnthropicError(StatusCodes.Status400BadRequest, "invalid_request_error", "messages (each a role and a string or text blocks) and max_tokens are required");
        }

        var (verdict, retryAfter) = await gate.EnterAsync(AnthropicUpstream, SandboxGate.KeyOf(request), gate.Options.Anthropic, cancellationToken);
        switch (verdict)
        {
            case SandboxVerdict.OverQuota:
                request.HttpContext.Response.Headers.RetryAfter = Seconds(retryAfter);
                return AnthropicError(StatusCodes.Status429TooManyRequests, "rate_limit_error", "Number of requests has exceeded your rate limit");
            case SandboxVerdict.Fail:
                return AnthropicError(529, "overloaded_error", "Overloaded");
        }

        var answer = SandboxDj.Answer(prompt);
        var model = Text(body["model"]) ?? "sandbox";
        request.HttpContext.Response.Headers["request-id"] = "req_sbx" + Guid.NewGuid().ToString("N")[..16];
        if (!Flag(body["stream"]))
        {
            return Results.Json(new
            {
                id = "msg_sbx",
                type = "message",
                role = "assistant",
                model,
                content = new[] { new { type = "text", text = answer } },
                stop_reason = "end_turn",
                stop_sequence = (string?)null,
                usage = new { input_tokens = 25, output_tokens = SandboxDj.Tokens(answer).Count() },
            });
        }

        return TypedResults.ServerSentEvents(AnthropicStream(answer, model, verdict == SandboxVerdict.Malform, cancellationToken));
    }

    public async Task<IResult> OpenAiAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return OpenAiError(StatusCodes.Status401Unauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
        }

        var (body, unread) = await ReadAsync(request, cancellationToken);
        if (unread is { } status)
        {
            return OpenAiError(status, "invalid_request_error", null, status == StatusCodes.Status413PayloadTooLarge ? "Request body too large." : "We could not parse the JSON body of your request.");
        }

        if (body?["messages"] is not JsonArray messages || UserText(messages) is not { } prompt)
        {
            return OpenAiError(StatusCodes.Status400BadRequest, "invalid_request_error", null, "messages is required, each a role and a string or text parts");
        }

        var (verdict, retryAfter) = await gate.EnterAsync(OpenAiUpstream, SandboxGate.KeyOf(request), gate.Options.OpenAi, cancellationToken);
        switch (verdict)
        {
            case SandboxVerdict.OverQuota:
                request.HttpContext.Response.Headers.RetryAfter = Seconds(retryAfter);
                return OpenAiError(StatusCodes.Status429TooManyRequests, "requests", "rate_limit_exceeded", $"Rate limit reached. Please try again in {Seconds(retryAfter)}s.");
            case SandboxVerdict.Fail:
                return OpenAiError(StatusCodes.Status503ServiceUnavailable, "server_error", null, "The server is overloaded.");
        }

        var answer = SandboxDj.Answer(prompt);
        var model = Text(body["model"]) ?? "sandbox";
        request.HttpContext.Response.Headers["x-request-id"] = "req_sbx" + Guid.NewGuid().ToString("N")[..16];
        var usage = Flag(body["stream_options"]?["include_usage"]);
        return TypedResults.ServerSentEvents(OpenAiStream(answer, model, usage, verdict == SandboxVerdict.Malform, cancellationToken));
    }

    private async IAsyncEnumerable<SseItem<string>> AnthropicStream(string answer, string model, bool cut, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return Event("message_start", new { type = "message_start", message = new { id = "msg_sbx", type = "message", role = "assistant", content = Array.Empty<object>(), model, stop_reason = (string?)null, stop_sequence = (string?)null, usage = new { input_tokens = 25, output_tokens = 1 } } });
        yield return Event("content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } });
        yield return Event("ping", new { type = "ping" });
        var tokens = SandboxDj.Tokens(answer).ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (cut && i == tokens.Count / 2)
            {
                yield break; // the connection drops: no content_block_stop, no message_stop
            }

            await PaceAsync(cancellationToken);
            yield return Event("content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = tokens[i] } });
        }

        yield return Event("content_block_stop", new { type = "content_block_stop", index = 0 });
        yield return Event("message_delta", new { type = "message_delta", delta = new { stop_reason = "end_turn", stop_sequence = (string?)null }, usage = new { output_tokens = tokens.Count } });
        yield return Event("message_stop", new { type = "message_stop" });
    }

    private async IAsyncEnumerable<SseItem<string>> OpenAiStream(string answer, string model, bool usage, bool cut, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var tokens = SandboxDj.Tokens(answer).ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (cut && i == tokens.Count / 2)
            {
                yield break; // no finish_reason, no [DONE]
            }

            await PaceAsync(cancellationToken);
            yield return Data(new { id = "chatcmpl-sbx", @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = new { content = tokens[i] }, finish_reason = (string?)null } }, usage = (object?)null });
        }

        yield return Data(new { id = "chatcmpl-sbx", @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } }, usage = (object?)null });
        if (usage)
        {
            yield return Data(new { id = "chatcmpl-sbx", @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage = new { prompt_tokens = 25, completion_tokens = tokens.Count, total_tokens = 25 + tokens.Count } });
        }

        yield return new SseItem<string>("[DONE]");
    }

    private Task PaceAsync(CancellationToken cancellationToken)
    {
        var rate = gate.Options.LlmTokensPerSecond;
        return rate <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromSeconds(1 / rate), time, cancellationToken);
    }

    private static SseItem<string> Event(string type, object data) => new(JsonSerializer.Serialize(data), type);

    private static SseItem<string> Data(object data) => new(JsonSerializer.Serialize(data));

    /// <summary>The body as JSON; or, for one too large (the request size limit) or not JSON, the status that says so.</summary>
    private static async Task<(JsonNode? Body, int? Status)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return (await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken), null);
        }
        catch (JsonException)
        {
            return (null, StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode);
        }
    }

    // Message content is a string or an array of blocks; only text blocks matter here. Null when a message is not of that shape.
    private static string? UserText(JsonArray messages)
    {
        var text = new List<string>();
        foreach (var message in messages)
        {
            if (message is not JsonObject || Text(message["role"]) is not { } role)
            {
                return null;
            }

            List<string>? parts = message["content"] switch
            {
                JsonValue v => Text(v) is { } one ? [one] : null,
                JsonArray blocks when blocks.All(b => b is JsonObject) => [.. blocks.Select(b => Text(b!["text"]) ?? "")],
                _ => null,
            };
            if (parts is null)
            {
                return null;
            }

            if (role == "user")
            {
                text.AddRange(parts);
            }
        }

        return string.Join('\n', text);
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool Flag(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    private static string Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static IResult AnthropicError(int status, string type, string message) =>
        SandboxReply.Json(new { type = "error", error = new { type, message }, request_id = "req_sbx" }, status);

    private static IResult OpenAiError(int status, string type, string? code, string message) =>
        SandboxReply.Json(new { error = new { message, type, param = (string?)null, code } }, status);
}
