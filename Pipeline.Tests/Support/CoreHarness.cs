using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Telemetry;
using Pipeline.Throttling;

namespace Pipeline.Tests.Support;

/// <summary>The core's services on a fake clock, configured like the host would be.</summary>
internal sealed class CoreHarness : IDisposable
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public CoreHarness(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        Time = time ?? new FakeTimeProvider(Epoch);
        Configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var collection = new ServiceCollection()
            .AddSingleton<IConfiguration>(Configuration)
            .AddLogging(logging => logging.AddFakeLogging())
            .AddSingleton(Time);
        services?.Invoke(collection);
        _services = collection
            .AddPipelineCore()
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public TimeProvider Time { get; }

    public IConfigurationRoot Configuration { get; }

    public FakeTimeProvider FakeTime => (FakeTimeProvider)Time;

    public Throttle Throttle => _services.GetRequiredService<Throttle>();

    public StageFactory Stages => _services.GetRequiredService<StageFactory>();

    public JobRegistry Jobs => _services.GetRequiredService<JobRegistry>();

    public IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct => new(MeterFactory, PipelineTelemetry.MeterName, instrument);

    /// <summary>Changes settings and reloads the configuration, as an edited file would.</summary>
    public void Reconfigure(IReadOnlyDictionary<string, string?> settings)
    {
        foreach (var (key, value) in settings)
        {
            Configuration.Providers.First().Set(key, value);
        }

        Configuration.Reload();
    }

    public void Dispose() => _services.Dispose();
}
