using System.Diagnostics;
using BenchmarkDotNet.Running;
using Pipeline.Benchmarks.Cluster;
using Pipeline.Benchmarks.Load;
using Pipeline.Benchmarks.Overhead;
using Pipeline.Benchmarks.Throttling;

// dotnet run -c Release --project Pipeline.Benchmarks -- <mode>; BENCHMARKS.md has each mode's figures.
var mode = args.FirstOrDefault() ?? "quick";
var output = Console.Out;
switch (mode)
{
    case "quick":
        // Under a minute: the engine's overhead ratio and the throttle's exactness, for a sanity check of a change.
        await QuickOverheadAsync(output);
        await ThrottleRun.SimulatedAsync(patterns: 100, output);
        await ThrottleRun.RealClockAsync([40, 2000], TimeSpan.FromSeconds(3), output);
        break;
    case "overhead":
        BenchmarkRunner.Run<StageChainBenchmarks>(args: [.. args.Skip(1)]);
        break;
    case "throttle":
        await ThrottleRun.SimulatedAsync(patterns: 300, output);
        await ThrottleRun.RealClockAsync([40, 2000], TimeSpan.FromSeconds(10), output);
        break;
    case "reference-job":
        await ReferenceJob.RunAsync(runs: 3, quotas: false, output);
        await ReferenceJob.RunAsync(runs: 3, quotas: true, output);
        break;
    case "fairness":
        await Fairness.RunAsync(runs: 3, output);
        break;
    case "jobs-per-second":
        await JobsPerSecond.RunAsync(clients: args.Length > 1 && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var clients) ? clients : 32, warmup: TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), upstreamsApart: args.Contains("upstreams-apart"), output);
        break;
    case "cluster-throttle":
        await ClusterThrottle.RunAsync(output);
        break;
    case "cluster-limiters":
        await ClusterLimiters.RunAsync(output);
        break;
    case "cluster-cache":
        await CacheHits.RunAsync(output);
        break;
    case "cluster-jobs":
        await ClusterFailover.RunAsync(kills: args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, output);
        break;
    case "cluster-load":
        await ClusterLoad.RunAsync(output);
        break;
    case "limiter-worker":
        await ClusterLimiters.WorkerAsync([.. args.Skip(1)]);
        break;
    case "overload":
        await Overload.RunAsync(offeredPerSecond: 50, TimeSpan.FromSeconds(60), output);
        break;
    case "sse":
        await SseScale.RunAsync(args.Length > 1 ? [.. args[1].Split(',').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))] : [1000, 5000, 10000], serverGc: args.Contains("server-gc"), upstreamsApart: args.Contains("upstreams-apart"), quiet: args.Contains("quiet"), output);
        break;
    case "sse-active":
        await SseScale.RunActiveAsync(subscribers: 1000, jobs: 20, upstreamsApart: args.Contains("upstreams-apart"), output);
        break;
    case "sse-bare-host":
        await BareSseHost.RunAsync(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)));
        break;
    case "sequencer":
        Pipeline.Benchmarks.Sequencing.SequencerRun.Run(output);
        break;
    case "sse-client":
        await SseScale.ClientAsync(new Uri(args[1]), args[2].Split(','));
        break;
    default:
        Console.Error.WriteLine("Modes: quick, overhead, throttle, reference-job, fairness, jobs-per-second, overload, sse, sse-active, sequencer, cluster-throttle, cluster-limiters, cluster-cache, cluster-jobs, cluster-load");
        return 2;
}

return 0;

// Items/s and allocated bytes per item of each chain, the median of interleaved rounds after warm-up rounds (so
// every chain runs jitted code at its final tier). The ratio to raw Dataflow is the median of each round's own ratio,
// so a machine that speeds up or slows down between rounds moves both sides of it.
static async Task QuickOverheadAsync(TextWriter output)
{
    const int Items = 100_000, WarmUp = 3, Rounds = 15;
    (string Name, Func<int, Task> Run)[] chains = [("raw Dataflow (5 bounded TransformBlocks)", Chains.DataflowAsync), ("Pipeline stages, metrics on", Chains.PipelineAsync), ("Channels (5 bounded channels)", Chains.ChannelsAsync)];
    var results = chains.ToDictionary(c => c.Name, _ => new List<(double PerSecond, double Bytes)>());
    for (var round = 0; round < WarmUp + Rounds; round++)
    {
        foreach (var (name, run) in chains)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            await run(Items);
            var perSecond = Items / clock.Elapsed.TotalSeconds;
            var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)Items;
            if (round >= WarmUp)
            {
                results[name].Add((perSecond, bytes));
            }
        }
    }

    var medians = results.ToDictionary(r => r.Key, r => (PerSecond: Median(r.Value.Select(v => v.PerSecond)), Bytes: Median(r.Value.Select(v => v.Bytes))));
    var baseline = results[chains[0].Name];
    output.WriteLine($"Engine overhead: {Items:N0} items through 5 chained stages, median of {Rounds} interleaved rounds after {WarmUp} warm-up rounds");
    output.WriteLine();
    output.WriteLine("| chain | items/s | ratio to raw Dataflow | bytes allocated per item |");
    output.WriteLine("|---|---:|---:|---:|");
    foreach (var (name, _) in chains)
    {
        var ratio = Median(results[name].Select((r, round) => r.PerSecond / baseline[round].PerSecond));
        output.WriteLine($"| {name} | {medians[name].PerSecond:N0} | {ratio:0.00}× | {medians[name].Bytes:0} |");
    }

    output.WriteLine();
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}
