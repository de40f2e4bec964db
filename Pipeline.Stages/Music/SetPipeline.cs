using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Llm;
using Pipeline.Stages.Search;

namespace Pipeline.Stages.Music;

/// <summary>
/// The music pipeline, one set of stages shared by every job (SEDA): search, then audio-features and enrichment side
/// by side (each found track goes to both, and its halves are joined in <see cref="JobTracks"/>), then per job, once
/// its tracks are all through (or its deadline is near), the llm stage. Every step's events go to the job's sink; the
/// job ends with exactly one terminal event.
/// </summary>
public sealed class SetPipeline : IAsyncDisposable
{
    private readonly Stage<SetRequest, Track> _search;
    private readonly Stage<SetDraft, string> _llm;
    private readonly Stage<Track, Track> _features;
    private readonly Stage<Track, Track> _enrichment;
    private readonly JobRegistry _jobs;
    private readonly JobTracks _collected;
    private readonly TimeProvider _time;
    private readonly SetPipelineOptions _options;

    internal SetPipeline(StageFactory stages, SearchWork search, AudioFeaturesWork features, EnrichmentWork enrichment, LlmWork llm, JobRegistry jobs, JobTracks collected, TimeProvider time, IOptions<SetPipelineOptions> options)
    {
        _jobs = jobs;
        _collected = collected;
        _time = time;
        _options = options.Value;
        _search = stages.CreateMany<SetRequest, Track>(SearchWork.Stage, search.RunAsync);
        // Enrichment needs nothing audio-features finds: its calls start as soon as search finds a track.
        _features = _search.LinkTo(stages.CreateBatch<Track, Track>(AudioFeaturesWork.Stage, features.RunAsync));
        _enrichment = _search.LinkTo(stages.Create<Track, Track>(EnrichmentWork.Stage, enrichment.RunAsync));
        _llm = stages.Create<SetDraft, string>(LlmWork.Stage, llm.RunAsync);
    }

    /// <summary>Every stage of the pipeline, search first and llm last, for progress reports.</summary>
    public IReadOnlyList<string> StageNames { get; } = [SearchWork.Stage, AudioFeaturesWork.Stage, EnrichmentWork.Stage, LlmWork.Stage];

    /// <summary>Runs a job to its end and ends it in the registry (which publishes the terminal event).</summary>
    /// <param name="job">The job, started in the registry.</param>
    /// <param name="request">What it asks for.</param>
    /// <returns>How it ended.</returns>
    public async Task<JobOutcome> RunAsync(JobContext job, SetRequest request)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var offered = await _search.OfferAsync(new StageItem<SetRequest>(job, request), job.CancellationToken);
            if (!offered.Accepted)
            {
                return End(job, JobOutcome.Failed, "search_" + offered.Reason.ToTag());
            }

            // Tracks flow until every one has left the stages; a job near its deadline goes to the model with what it has.
            var llmAt = job.Deadline - _options.LlmReserve - _time.GetUtcNow();
            await Task.WhenAny(job.WhenIdle, Task.Delay(llmAt > TimeSpan.Zero ? llmAt : TimeSpan.Zero, _time, job.CancellationToken));
            job.CancellationToken.ThrowIfCancellationRequested();

            var draft = new SetDraft(request, _collected.Take(job));
            var llm = await _llm.OfferAsync(new StageItem<SetDraft>(job, draft), job.CancellationToken);
            if (!llm.Accepted)
            {
                return End(job, JobOutcome.Failed, "llm_" + llm.Reason.ToTag());
            }

            // The llm item's own end (and its item.failed, if any) comes before the job's terminal event.
            await Task.WhenAll(draft.Done.Task, job.WhenIdle).WaitAsync(job.CancellationToken);
            return End(job, JobOutcome.Completed, null);
        }
        catch (OperationCanceledException) when (job.IsStopped)
        {
            return End(job, job.IsPastDeadline ? JobOutcome.Timeout : JobOutcome.Cancelled, null);
        }
        catch (Stages.Upstreams.UpstreamException e)
        {
            await job.WhenIdle.WaitAsync(job.CancellationToken);
            return End(job, JobOutcome.Failed, "llm_" + e.Reason);
        }
        finally
        {
            _collected.Take(job);
        }
    }

    /// <summary>Takes no more jobs and waits for the stages to drain.</summary>
    /// <returns>A task that completes when every stage has.</returns>
    public async ValueTask DisposeAsync()
    {
        _search.Complete();
        _llm.Complete();
        await Task.WhenAll(_features.Completion, _enrichment.Completion, _llm.Completion);
    }

    private JobOutcome End(JobContext job, JobOutcome outcome, string? reason)
    {
        // A job already ended elsewhere (e.g. cancelled by its client) keeps that outcome.
        _jobs.End(job, outcome, reason);
        return job.Outcome ?? outcome;
    }
}
