using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>The metric table in docs/operations.md against what the host creates and exports: a drift in either direction fails.</summary>
[Collection(nameof(SerialTests))]
public sealed partial class MetricDocsTests
{
    // | `instrument` | `exported name` | type | unit | tags | meaning |
    [GeneratedRegex(@"^\| `(?<instrument>pipeline\.[a-z._]+)` \| `(?<exported>pipeline_[a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"^# TYPE (?<name>pipeline_[a-z_]+) ", RegexOptions.Multiline)]
    private static partial Regex Family();

    [Fact]
    public async Task Table_MatchesTheInstrumentsCreatedAndTheNamesExported()
    {
        var (documented, cluster) = await DocumentedAsync();
        var (created, exported) = await RunAsync(new HostServer());

        Assert.Equal(created.Order(), documented.Keys.Order()); // every instrument documented, nothing documented that is gone
        Assert.Empty(exported.Except(documented.Values).Except(cluster.Values)); // every exported family documented under its exported name (the exporter sees every "Pipeline" meter in the process, other tests' too)
        Assert.Contains("pipeline_stage_duration_seconds", exported);
        Assert.Contains("pipeline_sse_events_written_total", exported);
    }

    [SkippableFact]
    public async Task ClusterTable_MatchesWhatAClusterHostAddsAndExports()
    {
        Requires.Redis();
        await using var redis = await RedisServer.StartAsync();
        var (single, cluster) = await DocumentedAsync();
        var (created, exported) = await RunAsync(new HostServer(new Dictionary<string, string?> { ["Pipeline:Cluster:Redis"] = redis.ConnectionString }));

        Assert.Equal(created.Order(), single.Keys.Concat(cluster.Keys).Order());
        Assert.Empty(exported.Except(single.Values.Concat(cluster.Values)));
        Assert.Equal(cluster.Values.Order(), exported.Where(e => e.StartsWith("pipeline_cluster_", StringComparison.Ordinal)).Order()); // each has data after one job
    }

    // The host's own table, and the table of what cluster mode adds.
    private static async Task<(Dictionary<string, string> Single, Dictionary<string, string> Cluster)> DocumentedAsync()
    {
        var text = await File.ReadAllTextAsync(Repository.File("docs", "operations.md"));
        var split = text.IndexOf("### In cluster mode", StringComparison.Ordinal);
        return (Rows(text[..split]), Rows(text[split..]));

        static Dictionary<string, string> Rows(string part) =>
            Row().Matches(part).ToDictionary(m => m.Groups["instrument"].Value, m => m.Groups["exported"].Value);
    }

    // A job run on the host: the Pipeline instruments it created, and the metric families /metrics exported.
    private static async Task<(HashSet<string> Created, HashSet<string> Exported)> RunAsync(HostServer server)
    {
        var created = new List<(string Name, object? Scope)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "Pipeline")
                {
                    lock (created)
                    {
                        created.Add((instrument.Name, instrument.Meter.Scope));
                    }
                }
            },
        };
        listener.Start();

        using var host = server;
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "funk", trackCount = 4 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null).Within();
        }

        var exported = Family().Matches(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Select(m => m.Groups["name"].Value).ToHashSet();
        var factory = host.Services.GetRequiredService<IMeterFactory>(); // this host's instruments, not those other tests left alive
        lock (created)
        {
            return ([.. created.Where(c => ReferenceEquals(c.Scope, factory)).Select(c => c.Name)], exported);
        }
    }
}
