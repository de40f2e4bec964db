using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>The Grafana dashboard proven against a real Prometheus scraping a real host (Debian's prometheus, installed by .ci/run).</summary>
[Collection(nameof(SerialTests))]
public sealed class DashboardTests
{
    private static readonly JsonElement Dashboard = JsonDocument.Parse(File.ReadAllText(Repository.File("grafana", "dashboards", "pipeline.json"))).RootElement;

    // Fresh prompts, so that upstream calls (not cache hits) keep coming.
    private static readonly string[] Genres = ["house", "techno", "jazz", "rock", "soul", "disco", "funk", "ambient", "metal", "reggae", "latin pop", "hip hop", "edm", "r&b", "rap", "indie"];

    // The panels of every host, or (cluster) those of cluster mode, whose titles start "Cluster:".
    private static IEnumerable<(string Panel, string[] Queries)> Panels(bool cluster = false) =>
        Dashboard.GetProperty("panels").EnumerateArray()
            .Select(p => (Panel: p.GetProperty("title").GetString()!, Queries: p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToArray()))
            .Where(p => p.Panel.StartsWith("Cluster:", StringComparison.Ordinal) == cluster);

    [SkippableFact]
    public async Task EveryPanel_ShowsDataFromARunningHost()
    {
        Requires.Prometheus();

        // A workload that exercises every panel: two jobs at a time against one running slot and one queue place
        // (busy refusals), a small shedding enrichment stage, a failing Last.fm, a budget smaller than a job.
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Admission:MaxActiveJobs"] = "1",
            ["Pipeline:Admission:MaxQueuedJobs"] = "1",
            ["Pipeline:Stages:enrichment:Capacity"] = "4",
            ["Pipeline:Stages:enrichment:MaxDegreeOfParallelism"] = "2",
            ["Pipeline:Stages:enrichment:Overflow"] = "Shed",
            ["Pipeline:Sandbox:LastFm:ErrorRate"] = "0.5",
            ["Pipeline:Upstreams:Resilience:MaxRetries"] = "1",
            ["Pipeline:Jobs:CallBudget"] = "12",
            ["Pipeline:Streaming:LagBound"] = "1",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "400",
        });
        using var http = host.CreateClient();
        await using var prometheus = await PrometheusServer.StartAsync(http.BaseAddress!);

        var empty = await PanelsLeftEmptyAsync(prometheus, round =>
            Task.WhenAll(Enumerable.Range(0, 3).Select(i => RunJobAsync(http, $"{Genres[((round * 3) + i) % Genres.Length]} party", trackCount: 12 + (5 * i)))));

        Assert.True(empty.Count == 0, "Panels without data: " + string.Join("; ", empty.Select(p => p.Panel)));
    }

    [SkippableFact]
    public async Task EveryPanel_ShowsDataFromAHealthyQuietHost()
    {
        Requires.Prometheus();

        // No fault, no overload: the counters of shedding, failures, refusals and budgets read 0, not "no data".
        using var host = new HostServer();
        using var http = host.CreateClient();
        await using var prometheus = await PrometheusServer.StartAsync(http.BaseAddress!);

        var empty = await PanelsLeftEmptyAsync(prometheus, round => RunJobAsync(http, $"{Genres[round % Genres.Length]} party", trackCount: 8));

        Assert.True(empty.Count == 0, "Panels without data on a healthy host: " + string.Join("; ", empty.Select(p => p.Panel)));
    }

    [SkippableFact]
    public async Task EveryClusterPanel_ShowsDataFromAHealthyClusterHost()
    {
        Requires.Prometheus();
        Requires.Redis();
        await using var redis = await RedisServer.StartAsync();
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Cluster:Redis"] = redis.ConnectionString });
        using var http = host.CreateClient();
        await using var prometheus = await PrometheusServer.StartAsync(http.BaseAddress!);

        var empty = await PanelsLeftEmptyAsync(prometheus, round => RunJobAsync(http, $"{Genres[round % Genres.Length]} party", trackCount: 8), cluster: true);

        Assert.True(empty.Count == 0, "Cluster panels without data on a healthy cluster: " + string.Join("; ", empty.Select(p => p.Panel)));
        Assert.True(Panels(cluster: true).Count() >= 4);
    }

    [SkippableFact]
    public async Task PrometheusConfig_PassesPromtool()
    {
        Requires.Prometheus();

        using var promtool = Process.Start(new ProcessStartInfo("/usr/bin/promtool", ["check", "config", Repository.File("config", "prometheus.yml")]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var said = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync().Within();

        Assert.True(promtool.ExitCode == 0, said);
    }

    [Fact]
    public void EveryQuery_EachSeriesFilteredByTheHostVariable()
    {
        var selectors = Panels().Concat(Panels(cluster: true))
            .SelectMany(p => p.Queries)
            .SelectMany(q => System.Text.RegularExpressions.Regex.Matches(q, @"\b(?:pipeline|dotnet)_[a-z0-9_]+(\{[^}]*\})?").Select(m => m.Value))
            .ToList();
        var variable = Dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "instance");

        Assert.NotEmpty(selectors);
        Assert.All(selectors, s => Assert.Contains("instance=~\"$instance\"", s, StringComparison.Ordinal));
        Assert.Equal(".*", variable.GetProperty("allValue").GetString());
        Assert.True(variable.GetProperty("includeAll").GetBoolean());
    }

    [Fact]
    public void GrafanaProvisioning_DatasourceAndDashboardsAgree()
    {
        var datasource = File.ReadAllText(Repository.File("grafana", "provisioning", "datasources", "prometheus.yml"));
        var provider = File.ReadAllText(Repository.File("grafana", "provisioning", "dashboards", "pipeline.yml"));
        var uids = Dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("datasource").GetProperty("uid").GetString()).Append(p.GetProperty("datasource").GetProperty("uid").GetString()))
            .Distinct();

        Assert.Contains("uid: " + Assert.Single(uids), datasource, StringComparison.Ordinal);
        Assert.Contains("type: file", provider, StringComparison.Ordinal);
        Assert.True(Panels().Count() >= 13);
    }

    // Runs rounds of work, one per scrape interval (rates need two scrapes), until every panel shows data or the rounds
    // (300) or the time (90 s) run out; the panels still without data.
    private static async Task<List<(string Panel, string[] Queries)>> PanelsLeftEmptyAsync(PrometheusServer prometheus, Func<int, Task> round, bool cluster = false)
    {
        var empty = Panels(cluster).ToList();
        var started = Stopwatch.StartNew();
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 300 && empty.Count > 0 && started.Elapsed < TimeSpan.FromSeconds(90); i++)
        {
            await round(i);
            empty = [.. await FilterAsync(empty, async panel => !await HasDataAsync(prometheus, panel.Queries))];
            await pace.WaitForNextTickAsync();
        }

        return empty;
    }

    private static async Task RunJobAsync(HttpClient http, string prompt, int trackCount)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt, trackCount }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.IsSuccessStatusCode)
        {
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null).Within(); // to the terminal event
        }
    }

    // A panel shows data when one of its queries has a sample with a number; every query must evaluate.
    private static async Task<bool> HasDataAsync(PrometheusServer prometheus, string[] queries)
    {
        var any = false;
        foreach (var query in queries)
        {
            any |= (await prometheus.QueryAsync(query.Replace("$instance", ".*", StringComparison.Ordinal))).Any(double.IsFinite); // "All", as Grafana sends it
        }

        return any;
    }

    private static async Task<IEnumerable<T>> FilterAsync<T>(IEnumerable<T> items, Func<T, Task<bool>> keep)
    {
        var kept = new List<T>();
        foreach (var item in items)
        {
            if (await keep(item))
            {
                kept.Add(item);
            }
        }

        return kept;
    }
}
