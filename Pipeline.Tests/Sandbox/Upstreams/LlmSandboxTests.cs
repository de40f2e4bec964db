using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox.Upstreams;

/// <summary>The fake model endpoints answer a bad or oversized body as the real APIs do: a 4xx error body, never a 500.</summary>
public sealed class LlmSandboxTests
{
    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(SandboxServer sandbox, string path, string body)
    {
        using var http = sandbox.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sandbox-key");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":[{"role":"user","content":5}]}""")]
    [InlineData("sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":[{"role":7,"content":"hi"}]}""")]
    [InlineData("sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":[{"role":"user","content":[1,2]}]}""")]
    [InlineData("sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":["hi"]}""")]
    [InlineData("sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":""")]
    [InlineData("sandbox/openai/v1/chat/completions", """{"messages":[{"role":"user","content":{"a":1}}]}""")]
    [InlineData("sandbox/openai/v1/chat/completions", """not json""")]
    public async Task Post_MalformedBody_400WithTheApisErrorBody(string path, string body)
    {
        await using var sandbox = await SandboxServer.StartAsync();

        var (status, text) = await PostAsync(sandbox, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("invalid_request_error", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_BodyOverAMebibyte_413NotRead()
    {
        await using var sandbox = await SandboxServer.StartAsync();
        var huge = $$"""{"max_tokens":10,"messages":[{"role":"user","content":"{{new string('a', 2 * 1024 * 1024)}}"}]}""";

        var (status, text) = await PostAsync(sandbox, "sandbox/anthropic/v1/messages", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("too large", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ContentAsTextBlocks_Answered()
    {
        await using var sandbox = await SandboxServer.StartAsync();

        var (status, text) = await PostAsync(sandbox, "sandbox/anthropic/v1/messages", """{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"Set in play order:"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"type\":\"message\"", text, StringComparison.Ordinal);
    }
}
