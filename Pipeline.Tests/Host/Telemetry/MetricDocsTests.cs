using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
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
    public async Task ReadmeTable_MatchesTheInstrumentsCreatedAndTheNamesExported()
    {
        var readme = await File.ReadAllTextAsync(Repository.File("docs", "operations.md"));
        var documented = Row().Matches(readme).ToDictionary(m => m.Groups["instrument"].Value, m => m.Groups["exported"].Value);
        var created = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "Pipeline")
                {
                    lock (created)
                    {
                        created.Add(instrument.Name);
                    }
                }
            },
        };
        listener.Start();

        using var host = new HostServer();
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "funk", trackCount = 4 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null).Within();
        }

        var exported = Family().Matches(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Select(m => m.Groups["name"].Value).ToHashSet();

        lock (created)
        {
            Assert.Equal(created.Order(), documented.Keys.Order()); // every instrument documented, nothing documented that is gone
        }

        Assert.Empty(exported.Except(documented.Values)); // every exported family documented under its exported name
        Assert.Contains("pipeline_stage_duration_seconds", exported);
        Assert.Contains("pipeline_sse_events_written_total", exported);
    }
}
