using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Events;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Llm;
using Pipeline.Stages.Search;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Stages.Music;

/// <summary>
/// The music pipeline, one set of stages shared by every job (SEDA): search gathers a pool, then audio-features and
/// enrichment side by side (each found track goes to both, and its halves are joined in <see cref="JobTracks"/>),
/// then per job, once its pool is through (or its deadline is near), sequencing chooses and orders the set, the llm
/// stage writes its notes, and the set stage publishes the finished set; each stage's output is linked to the next.
/// Every step's events go to the job's sink: <c>intent</c> first, <c>set.completed</c> before the one terminal event,
/// which comes once the job's last item has left the stages.
/// </summary>
internal sealed class SetPipeline : IAsyncDisposable
{
    private readonly Stage<SetSearch, Track> _search;
    /// <summary>The last stage's name: the finished set leaves the pipeline there.</summary>
    internal const string SetStage = "set";

    private const string NoTracks = "no_tracks";

    private readonly Stage<SetPool, SetDraft> _sequencing;
    private readonly Stage<SetDraft, SetResult> _llm;
    private readonly Stage<SetResult, SetResult> _set;
    private readonly Stage<Track, Track> _features;
    private readonly Stage<Track, Track> _enrichment;
    private readonly JobRegistry _jobs;
    private readonly JobTracks _collected;
    private readonly TimeProvider _time;
    private readonly SetPipelineOptions _options;

    internal SetPipeline(StageFactory stages, SearchWork search, AudioFeaturesWork features, EnrichmentWork enrichment, SequencingWork sequencing, LlmWork llm, JobRegistry jobs, JobTracks collected, TimeProvider time, IOptions<SetPipelineOptions> options)
    {
        _jobs = jobs;
        _collected = collected;
        _time = time;
        _options = options.Value;
        _search = stages.CreateMany<SetSearch, Track>(SearchWork.Stage, search.RunAsync);
        // Enrichment needs nothing audio-features finds: its calls start as soon as search finds a track.
        _features = _search.LinkTo(stages.CreateBatch<Track, Track>(AudioFeaturesWork.Stage, features.RunAsync));
        _enrichment = _search.LinkTo(stages.Create<Track, Track>(EnrichmentWork.Stage, enrichment.RunAsync));
        _sequencing = stages.Create<SetPool, SetDraft>(SequencingWork.Stage, sequencing.RunAsync);
        _llm = _sequencing.LinkTo(stages.Create<SetDraft, SetResult>(LlmWork.Stage, llm.RunAsync));
        _set = _llm.LinkTo(stages.CreateAction<SetResult>(SetStage, Finish));
    }

    /// <summary>Runs a job to its end and ends it in the registry (which publishes the terminal event).</summary>
    /// <param name="job">The job, started in the registry.</param>
    /// <param name="request">What it asks for.</param>
    /// <returns>How it ended.</returns>
    public async Task<JobOutcome> RunAsync(JobContext job, SetRequest request)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var intent = SetIntent.Of(request);
            job.Events.Publish(new IntentParsed(job.Id, _time.GetUtcNow(), intent));
            var offered = await _search.OfferAsync(new StageItem<SetSearch>(job, new SetSearch(request, intent)), job.CancellationToken);
            if (!offered.Accepted)
            {
                return End(job, JobOutcome.Failed, "search_" + offered.Reason.ToTag());
            }

            // Tracks flow until every one has left the stages; a job near its deadline is sequenced with what it has.
            var llmAt = job.Deadline - _options.LlmReserve - _time.GetUtcNow();
            await Task.WhenAny(job.WhenIdle, Task.Delay(llmAt > TimeSpan.Zero ? llmAt : TimeSpan.Zero, _time, job.CancellationToken));
            job.CancellationToken.ThrowIfCancellationRequested();

            var pool = new SetPool(request, intent, _collected.Take(job));
            var sequenced = await _sequencing.OfferAsync(new StageItem<SetPool>(job, pool), job.CancellationToken);
            if (!sequenced.Accepted)
            {
                return End(job, JobOutcome.Failed, "sequencing_" + sequenced.Reason.ToTag());
            }

            // The set flows on through the llm stage to the set stage. Once every item has left, the stages' counts say
            // how it went: each stage has already published what happened to it there.
            await job.WhenIdle.WaitAsync(job.CancellationToken);
            var counts = job.GetStageCounts();
            return counts.GetValueOrDefault(SetStage).Passed > 0 ? End(job, JobOutcome.Completed, null)
                : counts.GetValueOrDefault(SetStage).Failed > 0 ? End(job, JobOutcome.Failed, NoTracks)
                : counts.GetValueOrDefault(LlmWork.Stage).Failed > 0 ? End(job, JobOutcome.Completed, null) // the set came out without notes
                : counts.GetValueOrDefault(SequencingWork.Stage).Failed > 0 ? End(job, JobOutcome.Failed, "sequencing_error")
                : End(job, JobOutcome.Failed, "set_refused"); // a stage refused the set: its item.shed says which
        }

        catch (OperationCanceledException) when (job.IsStopped)
        {
            return End(job, job.IsPastDeadline ? JobOutcome.Timeout : JobOutcome.Cancelled, null);
        }
        finally
        {
            _collected.Forget(job); // a job ended early: its halves still waiting are dropped
        }
    }

    /// <summary>Takes no more jobs and waits for the stages to drain.</summary>
    /// <returns>A task that completes when every stage has.</returns>
    public async ValueTask DisposeAsync()
    {
        _search.Complete();
        _sequencing.Complete();
        await Task.WhenAll(_features.Completion, _enrichment.Completion, _set.Completion);
    }

    // The finished set is published; one with no track fails its item, and so the job.
    private ValueTask Finish(SetResult set, JobContext job, CancellationToken cancellationToken)
    {
        job.Events.Publish(new SetCompleted(job.Id, _time.GetUtcNow(), set));
        return set.Tracks.Count > 0 ? ValueTask.CompletedTask : throw new ItemFailedException(NoTracks, set.Shortfall ?? "The set has no track.");
    }

    private JobOutcome End(JobContext job, JobOutcome outcome, string? reason)
    {
        // A job already ended elsewhere (e.g. cancelled by its client) keeps that outcome.
        _jobs.End(job, outcome, reason);
        return job.Outcome ?? outcome;
    }
}
