using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Llm;

/// <summary>
/// The llm stage: one streamed model call per job that writes the transition notes for the sequenced set and may
/// propose swaps. Its answer is checked (<see cref="SetReview"/>) and the finished set passed on; a set with no track
/// passes on at once, with its shortfall. When the model cannot be reached the item fails, and the set still comes out
/// (<c>set.completed</c>), ordered, without notes. The client is
/// built at the first call, not with the stage: in sandbox mode its address is the host's own, known only once the
/// server listens.
/// </summary>
internal sealed class LlmWork(Lazy<IChatClient> chat, TimeProvider time)
{
    public const string Stage = "llm";

    private const string Instructions =
        "You are a club DJ. The set below is already ordered along its tempo curve for smooth tempo steps and " +
        "harmonically compatible keys (Camelot wheel: same number, ±1, or the A/B swap). Keep the order unless a swap " +
        "clearly makes a transition smoother. List every track once, in your final order, as " +
        "'n. Artist – Title (BPM, key)', and after each but the last one line starting with '→' on how to mix into the " +
        "next: call it a blend only when the tempo step is small and the keys are compatible; otherwise say echo out or cut.";

    public async ValueTask<SetResult> RunAsync(SetDraft draft, JobContext job, CancellationToken cancellationToken)
    {
        if (draft.Set.Tracks.Count == 0)
        {
            return draft.Set with { Shortfall = "The upstreams found no track with a known tempo for this request." };
        }

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

            // A stream that ends without a finish reason was cut off (no message_stop, no [DONE]): not a whole answer.
            if (finish is null)
            {
                throw new UpstreamException("llm", "stream_cut", $"The model's stream ended after {text.Length} characters without finishing.");
            }

            var answer = text.ToString();
            job.Events.Publish(new LlmCompleted(job.Id, time.GetUtcNow(), answer));
            var (set, orderUsed, notes, reason) = SetReview.Apply(draft.Set, answer);
            job.Events.Publish(new SetReviewed(job.Id, time.GetUtcNow(), orderUsed, notes, reason));
            return set;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Clients get what failed, not the model service's own words (an SDK echoes its error body in its message).
            var failure = e as UpstreamException ?? new UpstreamException("llm", "upstream_error", $"The model's call failed ({(e is HttpRequestException { StatusCode: { } status } ? $"HTTP {(int)status}" : e.GetType().Name)}).", e);
            // The set is the product: it comes out, ordered, without the model's notes.
            var set = draft.Set with { Review = $"no notes: the model failed ({failure.Reason})" };
            job.Events.Publish(new SetCompleted(job.Id, time.GetUtcNow(), set));
            throw new ItemFailedException("llm_" + failure.Reason, failure.Message, e);
        }
    }

    private static string Prompt(SetDraft draft)
    {
        var prompt = new StringBuilder();
        prompt.Append("Request: ").Append(draft.Request.Prompt.ReplaceLineEndings(" ")).Append('\n');
        prompt.Append(CultureInfo.InvariantCulture, $"Tempo curve: {draft.Set.Curve}\n");
        if (draft.Set.Shortfall is { } shortfall)
        {
            prompt.Append("Note: ").Append(shortfall).Append('\n');
        }

        prompt.Append("Set in play order:\n").Append(SetTable.Write(draft.Set.Tracks.Select(t => new SetTable.Row(t.Position, $"{t.Artist} – {t.Title}", t.Bpm, t.Camelot, t.Energy, t.Tags))));
        return prompt.ToString();
    }
}
