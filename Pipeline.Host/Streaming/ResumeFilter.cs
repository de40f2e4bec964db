using Pipeline.Events;
using Pipeline.Stages.Events;

namespace Pipeline.Host.Streaming;

/// <summary>
/// What a job re-run after a restart must not say twice: tracks already found or enriched are dropped, and the model's
/// text, re-generated, is dropped while it repeats what was already streamed. Text that departs from it cannot be
/// joined seamlessly: the filter reports it as diverged (the job then fails with reason <c>interrupted</c>).
/// </summary>
internal sealed class ResumeFilter(IEnumerable<PipelineEvent> logged)
{
    private readonly HashSet<string> _found = [.. logged.OfType<TrackFound>().Select(e => e.Track.Id)];
    private readonly HashSet<string> _enriched = [.. logged.OfType<TrackEnriched>().Select(e => e.Track.Id)];
    private string _text = string.Concat(logged.OfType<LlmDelta>().Select(e => e.Text));
    private readonly bool _intent = logged.OfType<IntentParsed>().Any();
    private readonly bool _ordered = logged.OfType<SetOrdered>().Any();

    /// <summary>The event to log instead of <paramref name="e"/>: itself, a trimmed delta, or null to drop it.</summary>
    public PipelineEvent? Filter(PipelineEvent e, out bool diverged)
    {
        diverged = false;
        switch (e)
        {
            case JobAccepted:
                return null;
            case IntentParsed when _intent:
                return null;
            case SetOrdered when _ordered:
                return null; // the same pool orders the same way
            case TrackFound found when !_found.Add(found.Track.Id):
                return null;
            case TrackEnriched enriched when !_enriched.Add(enriched.Track.Id):
                return null;
            case LlmDelta delta when _text.Length > 0:
                if (_text.StartsWith(delta.Text, StringComparison.Ordinal))
                {
                    _text = _text[delta.Text.Length..];
                    return null;
                }

                if (delta.Text.StartsWith(_text, StringComparison.Ordinal))
                {
                    var rest = delta with { Text = delta.Text[_text.Length..] };
                    _text = "";
                    return rest;
                }

                diverged = true;
                return null;
            case LlmCompleted when _text.Length > 0:
                diverged = true; // shorter than what was already streamed
                return null;
            default:
                return e;
        }
    }
}
