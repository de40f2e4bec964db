using Pipeline.Events;
using Pipeline.Stages.Events;

namespace Pipeline.Stages.Music;

/// <summary>
/// Stands before a resumed set job's log, so its re-run after a restart does not say twice what the log holds:
/// tracks already found or enriched are dropped, and the model's text, re-generated, is dropped while it repeats what
/// was already streamed. Text that departs from it cannot be joined seamlessly: <paramref name="diverged"/> is called
/// once (the job then ends failed, reason <c>interrupted</c>) and none of it is passed on. Everything else, the
/// terminal event among it, passes to <paramref name="log"/> in the order it came.
/// </summary>
/// <param name="logged">The events the log already holds.</param>
/// <param name="log">Where the events that are new go.</param>
/// <param name="diverged">Called once when the re-run's text departs from what was streamed.</param>
internal sealed class ResumeFilter(IEnumerable<PipelineEvent> logged, IPipelineEventSink log, Action diverged) : IPipelineEventSink
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _found = [.. logged.OfType<TrackFound>().Select(e => e.Track.Id)];
    private readonly HashSet<string> _enriched = [.. logged.OfType<TrackEnriched>().Select(e => e.Track.Id)];
    private readonly bool _intent = logged.OfType<IntentParsed>().Any();
    private readonly bool _ordered = logged.OfType<SetOrdered>().Any();
    private string _text = string.Concat(logged.OfType<LlmDelta>().Select(e => e.Text));
    private bool _diverged;

    /// <inheritdoc/>
    public void Publish(PipelineEvent pipelineEvent)
    {
        bool departs;
        lock (_lock)
        {
            var kept = Filter(pipelineEvent, out departs);
            if (kept is not null)
            {
                log.Publish(kept); // under the lock: what passes keeps its order
            }
        }

        if (departs)
        {
            diverged();
        }
    }

    /// <summary>The event to log instead of <paramref name="e"/>: itself, a trimmed delta, or null to drop it.</summary>
    private PipelineEvent? Filter(PipelineEvent e, out bool departs)
    {
        departs = false;
        switch (e)
        {
            case IntentParsed when _intent:
            case SetOrdered when _ordered: // the same pool orders the same way
                return null;
            case TrackFound found when !_found.Add(found.Track.Id):
                return null;
            case TrackEnriched enriched when !_enriched.Add(enriched.Track.Id):
                return null;
            case LlmDelta or LlmCompleted when _diverged:
                return null; // the job is ending: nothing of the departed text is logged
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

                departs = _diverged = true;
                return null;
            case LlmCompleted when _text.Length > 0:
                departs = _diverged = true; // shorter than what was already streamed
                return null;
            default:
                return e;
        }
    }
}
