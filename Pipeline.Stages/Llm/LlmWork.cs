using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Stages.Search;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Llm;

/// <summary>
/// The llm stage: one streamed model call per job that orders its tracks into a set and explains each transition.
/// The client is built at the first call, not with the stage: in sandbox mode its address is the host's own, known
/// only once the server listens.
/// </summary>
internal sealed class LlmWork(Lazy<IChatClient> chat, TimeProvider time)
{
    public const string Stage = "llm";

    private const string Instructions =
        "You are a club DJ. Order the candidate tracks into one set that fits the request: a smooth BPM progression and " +
        "harmonically compatible keys (Camelot wheel: same number, ±1, or the A/B swap). List every track once as " +
        "'n. Artist – Title (BPM, key)' and after each, one line on how to mix into the next.";

    public async ValueTask<string> RunAsync(SetDraft draft, JobContext job, CancellationToken cancellationToken)
    {
        try
        {
            var text = new StringBuilder();
            ChatFinishReason? finish = null;
            using (UpstreamRequest.Use(job))
            {
                await foreach (var update in chat.Value.GetStreamingResponseAsync([new(ChatRole.System, Instructions), new(ChatRole.User, Prompt(draft))], cancellationToken: cancellationToken))
                {
                    finish = update.FinishReason ?? finish;
                    if (!string.IsNullOrEmpty(update.Text))
                    {
                        text.Append(update.Text);
                        job.Events.Publish(new LlmDelta(job.Id, time.GetUtcNow(), update.Text));
                    }
                }
            }

            // A stream that ends without a finish reason was cut off (no message_stop, no [DONE]): not a whole set.
            if (finish is null)
            {
                throw new UpstreamException("llm", "stream_cut", $"The model's stream ended after {text.Length} characters without finishing.");
            }

            var answer = text.ToString();
            job.Events.Publish(new LlmCompleted(job.Id, time.GetUtcNow(), answer));
            draft.Done.TrySetResult(answer);
            return answer;
        }
        catch (OperationCanceledException e)
        {
            draft.Done.TrySetCanceled(e.CancellationToken);
            throw;
        }
        catch (Exception e)
        {
            var failure = e as UpstreamException ?? new UpstreamException("llm", "upstream_error", e.Message, e);
            draft.Done.TrySetException(failure);
            throw new ItemFailedException("llm_" + failure.Reason, failure.Message, e);
        }
    }

    private static string Prompt(SetDraft draft)
    {
        var prompt = new StringBuilder();
        prompt.Append("Request: ").Append(draft.Request.Prompt.ReplaceLineEndings(" ")).Append('\n');
        if (PromptQueries.TargetBpm(draft.Request.Prompt) is { } bpm)
        {
            prompt.Append(CultureInfo.InvariantCulture, $"Target tempo: {bpm:0} BPM\n");
        }

        prompt.Append("Candidates:\n").Append(SetTable.Write(draft.Tracks.Select(t => new SetTable.Row(t.Index, t.ToString(), t.Bpm, t.Camelot, t.Features?.Energy, t.Tags))));
        return prompt.ToString();
    }
}
