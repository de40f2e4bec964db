using System.ComponentModel.DataAnnotations;

namespace Pipeline.Stages.Llm;

/// <summary>The model that orders the set. In sandbox mode (no key) the calls go to the sandbox's model.</summary>
public sealed class LlmOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Llm";

    /// <summary>The provider. Default <see cref="LlmProvider.Anthropic"/>.</summary>
    public LlmProvider Provider { get; set; } = LlmProvider.Anthropic;

    /// <summary>Anthropic Messages settings.</summary>
    public LlmEndpointOptions Anthropic { get; set; } = new() { BaseUrl = new("https://api.anthropic.com"), Model = "claude-sonnet-4-5" };

    /// <summary>OpenAI-compatible settings.</summary>
    public LlmEndpointOptions OpenAi { get; set; } = new() { BaseUrl = new("https://api.openai.com/v1"), Model = "gpt-4o-mini" };

    /// <summary>Most tokens the answer may use. Default 1500.</summary>
    [Range(16, 64_000)]
    public int MaxTokens { get; set; } = 1500;

    /// <summary>The selected provider's settings.</summary>
    public LlmEndpointOptions Selected => Provider == LlmProvider.Anthropic ? Anthropic : OpenAi;
}

/// <summary>One model endpoint.</summary>
public sealed class LlmEndpointOptions
{
    /// <summary>The API key (secret: never logged).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API's base URL.</summary>
    public Uri BaseUrl { get; set; } = new("https://invalid.example/");

    /// <summary>The model name.</summary>
    public string Model { get; set; } = "";

    /// <summary>True when the key is set.</summary>
    public bool HasKeys => !string.IsNullOrWhiteSpace(ApiKey);
}
