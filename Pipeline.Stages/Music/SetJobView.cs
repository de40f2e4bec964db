using System.Text;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Stages.Music;

/// <summary>
/// A set job as its events tell it: tracks in candidate order, the model's text, the latest stage counts, the items
/// shed or failed and the set once decided. Built from the events alone, so the same while the job runs, after it
/// ends and after a restart.
/// </summary>
/// <param name="deadLetterLimit">Dead letters kept at most (the job's own bound).</param>
internal sealed class SetJobView(int deadLetterLimit) : IPipelineEventSink
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Track> _tracks = new(StringComparer.Ordinal);
    private readonly StringBuilder _text = new();
    private readonly DeadLetterList _deadLetters = new(deadLetterLimit);
    private IReadOnlyDictionary<string, StageCounts> _stages = new Dictionary<string, StageCounts>();
    private SetResult? _set;

    /// <inheritdoc/>
    public void Publish(PipelineEvent pipelineEvent)
    {
        lock (_lock)
        {
            switch (pipelineEvent)
            {
                case TrackFound f:
                    _tracks.TryAdd(f.Track.Id, f.Track);
                    break;
                case TrackEnriched t:
                    _tracks[t.Track.Id] = t.Track;
                    break;
                case StageProgress p:
                    _stages = p.Stages;
                    break;
                case ItemShed or ItemFailed:
                    _deadLetters.Publish(pipelineEvent);
                    break;
                case SetCompleted completed:
                    _set = completed.Set;
                    break;
                case LlmDelta d:
                    _text.Append(d.Text);
                    break;
            }
        }
    }

    /// <summary>What the events say so far.</summary>
    /// <returns>A snapshot.</returns>
    public SetJobSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new SetJobSnapshot([.. _tracks.Values.OrderBy(t => t.Index)], _text.ToString(), _stages, _deadLetters.Snapshot(), _set);
        }
    }
}
