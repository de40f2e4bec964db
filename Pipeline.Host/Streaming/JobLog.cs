using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pipeline.Events;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Streaming;

/// <summary>
/// One job's event log and live view: every event gets the next sequence number (from 1, no gaps) and is
/// serialized once as <c>{"type","jobId","seq","at",…}</c>. Readers replay after a sequence number and then follow
/// live appends with no gap and no duplicate. Nothing is appended after the terminal event.
/// </summary>
internal sealed class JobLog : IPipelineEventSink
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly Lock _lock = new();
    private readonly List<JobLogEntry> _entries = [];
    private readonly SortedDictionary<int, Track> _tracks = [];
    private readonly StringBuilder _llmText = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobEnded? Ended { get; private set; }

    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Makes the event written just before the terminal one, e.g. the final stage counts.</summary>
    public Func<PipelineEvent?>? BeforeTerminal { get; set; }

    public void Publish(PipelineEvent pipelineEvent)
    {
        if (pipelineEvent is JobEnded && BeforeTerminal?.Invoke() is { } last)
        {
            Publish(last);
        }

        TaskCompletionSource appended;
        lock (_lock)
        {
            if (Ended is not null)
            {
                return; // the terminal event is always last
            }

            var seq = _entries.Count + 1;
            var node = (JsonObject)JsonSerializer.SerializeToNode(pipelineEvent, pipelineEvent.GetType(), Json)!;
            var json = new JsonObject { ["type"] = pipelineEvent.Type, ["jobId"] = pipelineEvent.JobId, ["seq"] = seq, ["at"] = pipelineEvent.At };
            foreach (var (key, value) in node.ToList())
            {
                if (!json.ContainsKey(key))
                {
                    node.Remove(key);
                    json[key] = value;
                }
            }

            _entries.Add(new JobLogEntry(seq, pipelineEvent.Type, json.ToJsonString(Json)));
            Observe(pipelineEvent);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
    }

    /// <summary>
    /// Entries after <paramref name="after"/>, then live ones, until the terminal entry. A reader more than
    /// <paramref name="lagBound"/> behind gets each batch coalesced (<see cref="LagCoalescer"/>); one more than
    /// <paramref name="maxLag"/> behind is ended early, to resume from its last id.
    /// </summary>
    public async IAsyncEnumerable<JobLogEntry> ReadAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken, int lagBound = int.MaxValue, int maxLag = int.MaxValue)
    {
        var next = (int)Math.Max(0, after);
        var replayed = false;
        while (true)
        {
            JobLogEntry[] batch;
            Task appended;
            bool ended;
            lock (_lock)
            {
                batch = next < _entries.Count ? [.. _entries.Skip(next)] : [];
                appended = _appended.Task;
                ended = Ended is not null;
            }

            // Only a reader that has had its replay can fall behind; cutting a replay would loop a resuming client.
            if (replayed && batch.Length > maxLag)
            {
                yield break; // too far behind: the client resumes with Last-Event-ID and loses nothing
            }

            IEnumerable<JobLogEntry> items = batch.Length > lagBound ? LagCoalescer.Coalesce(batch) : batch;
            foreach (var entry in items)
            {
                yield return entry;
            }

            replayed = true;
            next += batch.Length;
            if (ended && batch.Length == 0)
            {
                yield break;
            }

            if (batch.Length == 0)
            {
                await appended.WaitAsync(cancellationToken);
            }
        }
    }

    public (IReadOnlyList<Track> Tracks, string LlmText) View()
    {
        lock (_lock)
        {
            return ([.. _tracks.Values], _llmText.ToString());
        }
    }

    private void Observe(PipelineEvent e)
    {
        switch (e)
        {
            case TrackFound f:
                _tracks.TryAdd(f.Track.Index, f.Track);
                break;
            case TrackEnriched t:
                _tracks[t.Track.Index] = t.Track;
                break;
            case LlmDelta d:
                _llmText.Append(d.Text);
                break;
            case JobEnded ended:
                Ended = ended;
                break;
        }
    }
}

/// <summary>One logged event: its sequence number (the SSE id), type and JSON.</summary>
internal sealed record JobLogEntry(long Seq, string Type, string Json);
