using System.Diagnostics.Metrics;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Telemetry;

namespace Pipeline.Benchmarks.Overhead;

/// <summary>
/// The same trivial work (add one) through five chained bounded stages, three ways: Pipeline's stages (with a
/// listener on every Pipeline instrument, so metrics cost what they cost in production), a raw chain of bounded
/// Dataflow blocks, and a chain of bounded channels. Each run pushes <c>items</c> through and waits for the last.
/// </summary>
internal static class Chains
{
    public const int Length = 5;
    public const int Capacity = 256;

    public static async Task PipelineAsync(int items)
    {
        await using var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddPipelineCore().BuildServiceProvider();
        using var listener = ListenToPipelineMetrics();
        var factory = services.GetRequiredService<StageFactory>();
        var options = new StageOptions { Capacity = Capacity, MaxDegreeOfParallelism = 1, FairShare = false };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        var first = factory.Create<int, int>("s1", static (v, _, _) => ValueTask.FromResult(v + 1), options);
        var last = first;
        for (var i = 2; i < Length; i++)
        {
            last = last.LinkTo(factory.Create<int, int>($"s{i}", static (v, _, _) => ValueTask.FromResult(v + 1), options));
        }

        last.LinkTo(factory.CreateAction<int>($"s{Length}", (_, _, _) =>
        {
            if (Interlocked.Increment(ref seen) == items)
            {
                done.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }, options));

        using var job = services.GetRequiredService<JobRegistry>().Start();
        for (var i = 0; i < items; i++)
        {
            await first.OfferAsync(new StageItem<int>(job, i), CancellationToken.None);
        }

        await done.Task;
        first.Complete();
    }

    public static async Task DataflowAsync(int items)
    {
        var options = new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity, MaxDegreeOfParallelism = 1 };
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var first = new TransformBlock<int, int>(static v => v + 1, options);
        var last = first;
        for (var i = 2; i < Length; i++)
        {
            var next = new TransformBlock<int, int>(static v => v + 1, options);
            last.LinkTo(next, link);
            last = next;
        }

        var seen = 0;
        var sink = new ActionBlock<int>(_ => seen++, options);
        last.LinkTo(sink, link);
        for (var i = 0; i < items; i++)
        {
            await first.SendAsync(i);
        }

        first.Complete();
        await sink.Completion;
    }

    public static async Task ChannelsAsync(int items)
    {
        var channels = Enumerable.Range(0, Length).Select(_ => Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true })).ToArray();
        var workers = new List<Task>();
        for (var i = 0; i < Length - 1; i++)
        {
            var (from, to) = (channels[i].Reader, channels[i + 1].Writer);
            workers.Add(Task.Run(async () =>
            {
                await foreach (var v in from.ReadAllAsync())
                {
                    await to.WriteAsync(v + 1);
                }

                to.Complete();
            }));
        }

        var seen = 0;
        workers.Add(Task.Run(async () =>
        {
            await foreach (var _ in channels[^1].Reader.ReadAllAsync())
            {
                seen++;
            }
        }));
        for (var i = 0; i < items; i++)
        {
            await channels[0].Writer.WriteAsync(i);
        }

        channels[0].Writer.Complete();
        await Task.WhenAll(workers);
    }

    // Metrics on: every Pipeline instrument enabled and its measurements taken (and dropped), as an exporter would.
    private static MeterListener ListenToPipelineMetrics()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PipelineTelemetry.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        listener.SetMeasurementEventCallback<int>(static (_, _, _, _) => { });
        listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        listener.Start();
        return listener;
    }
}
