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
/// then per job, once its pool is through (or its deadline is near), sequencing chooses and orders the set and the llm
/// stage writes its notes. Every step's events go to the job's sink: <c>intent</c> first, <c>set.completed</c> before
/// the one terminal event.
/// </summary>
public sealed class SetPipeline : IAsyncDisposable
{
    private readonly Stage<SetSearch, Track> _search;
    private readonly Stage<SetPool, SetResult> _sequencing;
    private readonly Stage<SetDraft, SetResult> _llm;
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
        _sequencing = stages.Create<SetPool, SetResult>(SequencingWork.Stage, sequencing.RunAsync);
        _llm = stages.Create<SetDraft, SetResult>(LlmWork.Stage, llm.RunAsync);
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

            SetResult set;
            try
            {
                set = await pool.Done.Task.WaitAsync(job.CancellationToken);
            }
            catch (Exception) when (!job.IsStopped)
            {
                await job.WhenIdle.WaitAsync(job.CancellationToken); // its item.failed first
                return End(job, JobOutcome.Failed, "sequencing_error");
            }

            if (set.Tracks.Count == 0)
            {
                job.Events.Publish(new SetCompleted(job.Id, _time.GetUtcNow(), set with { Shortfall = "The upstreams found no track with a known tempo for this request." }));
                await job.WhenIdle.WaitAsync(job.CancellationToken);
                return End(job, JobOutcome.Failed, "no_tracks");
            }

            var draft = new SetDraft(request, intent, set);
            var llm = await _llm.OfferAsync(new StageItem<SetDraft>(job, draft), job.CancellationToken);
            if (!llm.Accepted)
            {
                // The set still comes out, without the model's notes.
                job.Events.Publish(new SetCompleted(job.Id, _time.GetUtcNow(), set with { Review = "no notes: the llm stage refused the set (" + llm.Reason.ToTag() + ")" }));
                await job.WhenIdle.WaitAsync(job.CancellationToken);
                return End(job, JobOutcome.Completed, null);
            }

            // The llm item's own end (and its item.failed, if any) comes before the job's terminal event.
            await Task.WhenAll(draft.Done.Task, job.WhenIdle).WaitAsync(job.CancellationToken);
            return End(job, JobOutcome.Completed, null);
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
        _llm.Complete();
        await Task.WhenAll(_features.Completion, _enrichment.Completion, _sequencing.Completion, _llm.Completion);
    }

    private JobOutcome End(JobContext job, JobOutcome outcome, string? reason)
    {
        // A job already ended elsewhere (e.g. cancelled by its client) keeps that outcome.
        _jobs.End(job, outcome, reason);
        return job.Outcome ?? outcome;
    }
}
