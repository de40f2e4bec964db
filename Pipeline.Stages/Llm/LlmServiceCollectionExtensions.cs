using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenAI;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Llm;

/// <summary>Registers the model seam: an <see cref="IChatClient"/> for the configured provider, behind resilience and the throttle.</summary>
public static class LlmServiceCollectionExtensions
{
    /// <summary>The lane and HttpClient name of Anthropic calls.</summary>
    public const string AnthropicLane = "anthropic";

    /// <summary>The lane and HttpClient name of OpenAI-compatible calls.</summary>
    public const string OpenAiLane = "openai";

    /// <summary>
    /// Adds <see cref="IChatClient"/> built from the official Anthropic or OpenAI SDK on a factory HttpClient, so every
    /// attempt passes the throttle and a streamed answer holds its lane slot until the stream ends. SDK retries are off:
    /// the resilience pipeline retries. Calls are charged to the job of <see cref="UpstreamRequest.Use"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddLlm(this IServiceCollection services)
    {
        services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>();
        services.AddThrottleLane(AnthropicLane, 2); // the model's answers are long: two at a time
        MusicUpstreamsServiceCollectionExtensions.Upstream(services.AddHttpClient(AnthropicLane), AnthropicLane, (_, sp) => Endpoint(sp, LlmProvider.Anthropic, "anthropic/"));
        MusicUpstreamsServiceCollectionExtensions.Upstream(services.AddHttpClient(OpenAiLane), OpenAiLane, (_, sp) => Endpoint(sp, LlmProvider.OpenAi, "openai/v1/"));
        services.AddChatClient(Create);
        return services;
    }

    private static (Uri, string, bool) Endpoint(IServiceProvider services, LlmProvider provider, string sandboxPath)
    {
        var llm = services.GetRequiredService<IOptions<LlmOptions>>().Value;
        var endpoint = provider == LlmProvider.Anthropic ? llm.Anthropic : llm.OpenAi;
        return (endpoint.BaseUrl, sandboxPath, endpoint.HasKeys);
    }

    private static IChatClient Create(IServiceProvider services)
    {
        var llm = services.GetRequiredService<IOptions<LlmOptions>>().Value;
        var http = services.GetRequiredService<IHttpClientFactory>();
        var endpoint = llm.Selected;
        // The sandbox accepts any key; a real key comes from configuration or the environment only.
        var key = endpoint.HasKeys ? endpoint.ApiKey! : "sandbox";
        if (llm.Provider == LlmProvider.Anthropic)
        {
            var client = http.CreateClient(AnthropicLane);
            var anthropic = new AnthropicClient(new ClientOptions { ApiKey = key, BaseUrl = client.BaseAddress!.ToString().TrimEnd('/'), HttpClient = client, MaxRetries = 0 });
            return anthropic.AsIChatClient(endpoint.Model, llm.MaxTokens);
        }

        var openAiHttp = http.CreateClient(OpenAiLane);
        var options = new OpenAIClientOptions
        {
            Endpoint = openAiHttp.BaseAddress,
            Transport = new HttpClientPipelineTransport(openAiHttp),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        return new OpenAI.Chat.ChatClient(endpoint.Model, new ApiKeyCredential(key), options).AsIChatClient();
    }
}
