namespace Pipeline.Stages.Llm;

/// <summary>Which model API writes the set.</summary>
public enum LlmProvider
{
    /// <summary>Anthropic Messages (streaming).</summary>
    Anthropic,

    /// <summary>Any OpenAI-compatible chat-completions server (streaming).</summary>
    OpenAi,
}
