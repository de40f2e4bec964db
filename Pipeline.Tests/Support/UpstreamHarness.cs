using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Sandbox;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Stages.Upstreams;
using Pipeline.Throttling;

namespace Pipeline.Tests.Support;

/// <summary>The real upstream clients, behind the real throttle, talking to a sandbox on 127.0.0.1 over real HTTP.</summary>
internal sealed class UpstreamHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private readonly TempDirectory _storage;

    private UpstreamHarness(SandboxServer sandbox, ServiceProvider services, TempDirectory storage)
    {
        Sandbox = sandbox;
        _services = services;
        _storage = storage;
    }

    public SandboxServer Sandbox { get; }

    public Throttle Throttle => _services.GetRequiredService<Throttle>();

    public JobRegistry Jobs => _services.GetRequiredService<JobRegistry>();

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public IReadOnlyList<SandboxRequest> Requests(string upstream) => Sandbox.Services.GetRequiredService<SandboxRequestLog>().Snapshot(upstream);

    public static async Task<UpstreamHarness> StartAsync(IReadOnlyDictionary<string, string?>? sandboxSettings = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var sandbox = await SandboxServer.StartAsync(sandboxSettings);
        var storage = new TempDirectory();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Pipeline:Throttle:Limit"] = "1000",
                ["Pipeline:Upstreams:Resilience:RetryDelay"] = "00:00:00.010",
                ["Pipeline:Upstreams:Resilience:AttemptTimeout"] = "00:00:05",
                ["Pipeline:Storage:Directory"] = storage.Path,
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<ISandboxAddress>(new FixedSandboxAddress(new Uri(sandbox.BaseAddress, "sandbox/")))
            .AddPipelineCore()
            .AddMusicStages()
            .BuildServiceProvider();
        return new UpstreamHarness(sandbox, services, storage);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sandbox.DisposeAsync();
        _storage.Dispose();
    }

    private sealed record FixedSandboxAddress(Uri BaseAddress) : ISandboxAddress;
}
