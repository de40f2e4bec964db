using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;
using Pipeline.Stages.Caching;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Llm;
using Pipeline.Stages.Music;
using Pipeline.Stages.Search;
using Pipeline.Stages.Sequencing;
using Pipeline.Stages.Storage;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages;

/// <summary>Registers the music pipeline on the core.</summary>
public static class MusicStagesServiceCollectionExtensions
{
    /// <summary>
    /// Adds the upstream clients, the model seam, the LiteDB answer cache and <see cref="SetPipeline"/>, with stage
    /// defaults (audio-features batches 100 ids within 50 ms; enrichment works 400 tracks at once) that
    /// <c>Pipeline:Stages:{name}</c> overrides, and the data folder, cache and pipeline options, validated at start.
    /// Needs <c>AddPipelineCore()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddMusicStages(this IServiceCollection services)
    {
        services.AddMusicUpstreams().AddLlm();
        services.AddOptions<DataFolderOptions>().BindConfiguration(DataFolderOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DataFolderOptions>, DataFolderOptionsValidator>());
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>());
        services.AddOptions<SetPipelineOptions>().BindConfiguration(SetPipelineOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SetPipelineOptions>, SetPipelineOptionsValidator>());
        services.AddStageDefaults(SearchWork.Stage, o => (o.Capacity, o.MaxDegreeOfParallelism) = (64, 4));
        services.AddStageDefaults(AudioFeaturesWork.Stage, o => (o.Capacity, o.MaxDegreeOfParallelism, o.BatchSize, o.BatchMaxWait) = (400, 8, 100, TimeSpan.FromMilliseconds(50))); // as enrichment: its batches wait in the fair throttle, not behind each other
        services.AddStageDefaults(EnrichmentWork.Stage, o => (o.Capacity, o.MaxDegreeOfParallelism) = (400, 400)); // its work waits in the throttle, whose queues are fair: workers must not run out first
        services.AddStageDefaults(SequencingWork.Stage, o => (o.Capacity, o.MaxDegreeOfParallelism) = (64, 2)); // a 200-track pool takes milliseconds
        services.AddStageDefaults(LlmWork.Stage, o => (o.Capacity, o.MaxDegreeOfParallelism) = (64, 4));
        services.AddStageDefaults(SetPipeline.SetStage, o => (o.Capacity, o.MaxDegreeOfParallelism) = (64, 1)); // publishing a set takes microseconds

        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<SetMetrics>();
        services.TryAddSingleton<IUpstreamCache>(sp => sp.GetRequiredService<UpstreamCache>()); // a cluster registers its shared cache first
        services.TryAddSingleton(sp =>
        {
            var folder = sp.GetRequiredService<IOptions<DataFolderOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<CacheOptions>>();
            return new UpstreamCache(
                folder.PathOf(options.Value.Path),
                options,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<CacheMetrics>(),
                sp.GetRequiredService<ILogger<UpstreamCache>>(),
                folder.OnCorruption,
                sp.GetService<Func<Stream, Stream>>()); // a test's faulty disk
        });
        services.TryAddSingleton<UpstreamCalls>();
        services.TryAddSingleton<DeezerLookup>();
        services.TryAddSingleton<AudioFeaturesLookup>();
        services.TryAddSingleton<JobTracks>();
        services.TryAddSingleton<SearchWork>();
        services.TryAddSingleton<AudioFeaturesWork>();
        services.TryAddSingleton<EnrichmentWork>();
        services.TryAddSingleton<SequencingWork>();
        services.TryAddSingleton(sp => new Lazy<IChatClient>(sp.GetRequiredService<IChatClient>));
        services.TryAddSingleton<LlmWork>();
        services.TryAddSingleton(sp => new SetPipeline(
            sp.GetRequiredService<StageFactory>(),
            sp.GetRequiredService<SearchWork>(),
            sp.GetRequiredService<AudioFeaturesWork>(),
            sp.GetRequiredService<EnrichmentWork>(),
            sp.GetRequiredService<SequencingWork>(),
            sp.GetRequiredService<LlmWork>(),
            sp.GetRequiredService<JobRegistry>(),
            sp.GetRequiredService<JobTracks>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<SetPipelineOptions>>()));
        return services;
    }
}
