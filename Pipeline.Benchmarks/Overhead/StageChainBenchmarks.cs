using BenchmarkDotNet.Attributes;

namespace Pipeline.Benchmarks.Overhead;

/// <summary>Engine overhead: five chained stages of trivial work, ours against raw Dataflow (the baseline) and channels.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class StageChainBenchmarks
{
    [Params(100_000)]
    public int Items { get; set; }

    [Benchmark(Baseline = true)]
    public Task Dataflow() => Chains.DataflowAsync(Items);

    [Benchmark]
    public Task Pipeline() => Chains.PipelineAsync(Items);

    [Benchmark]
    public Task Channels() => Chains.ChannelsAsync(Items);
}
