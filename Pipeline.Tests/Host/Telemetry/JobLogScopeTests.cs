using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>Every line about an upstream call names the job (and the request that started it) the call was made for.</summary>
[Collection(nameof(SerialTests))]
public sealed partial class JobLogScopeTests(ITestOutputHelper output)
{
    private const string CallCategory = "UpstreamCall";

    [Fact]
    public async Task TwoInterleavedJobs_EveryUpstreamCallLine_NamesItsOwnJob()
    {
        using var host = new HostServer(
            new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Override:Polly"] = "Debug",
                ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:00.005",
                ["Pipeline:Sandbox:LastFm:MedianLatency"] = "00:00:00.005",
                ["Pipeline:Sandbox:Deezer:MedianLatency"] = "00:00:00.005",
            },
            services => services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(
                sp => new CallLine(sp.GetRequiredService<ILoggerFactory>().CreateLogger(CallCategory)))));
        using var http = host.CreateClient();

        // Both jobs run at once through the same stage workers.
        var jobs = await Task.WhenAll(RunAsync(http, "hard rock workout"), RunAsync(http, "neo soul for a dinner party, 15 tracks"));

        var lines = host.Services.GetFakeLogCollector().GetSnapshot();
        var requestOf = lines.Where(r => r.Message.StartsWith("Accepted job", StringComparison.Ordinal)).ToDictionary(r => State(r, "JobId")!, r => State(r, "RequestId"));
        var upstream = lines.Where(r => r.Category is CallCategory or "Polly").ToList();
        Assert.All(upstream, r => Assert.Contains(State(r, "JobId") ?? "(none)", requestOf.Keys)); // no line without its job, none of a job long ended
        Assert.All(upstream, r => Assert.Equal(requestOf[State(r, "JobId")!], State(r, "RequestId"))); // and the trace of that job's request

        var judged = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var call in upstream.Where(r => r.Category == CallCategory))
        {
            var url = Uri.UnescapeDataString(State(call, "Url")!);
            var owners = jobs.Where(j => j.Marks.Any(m => url.Contains(m, StringComparison.OrdinalIgnoreCase))).ToList();
            if (owners.Count != 1)
            {
                continue; // a query that names neither job's tracks (or both): nothing to judge by
            }

            Assert.True(owners[0].Id == State(call, "JobId"), $"{url} is a call of job {owners[0].Id} but its line names {State(call, "JobId")}");
            judged[owners[0].Id] = judged.GetValueOrDefault(owners[0].Id) + 1;
        }

        output.WriteLine($"{upstream.Count} upstream lines; calls judged by their tracks: {string.Join(", ", judged.Select(j => $"{j.Key[..8]} {j.Value}"))}");
        Assert.All(jobs, j => Assert.True(judged.GetValueOrDefault(j.Id) >= 10, $"job {j.Id}: {judged.GetValueOrDefault(j.Id)} calls judged"));
    }

    private static string? State(Microsoft.Extensions.Logging.Testing.FakeLogRecord record, string key) =>
        record.StructuredState?.FirstOrDefault(s => s.Key == key).Value;

    // A job's id and what marks its calls: the ids and artist names of the tracks it found.
    private static async Task<(string Id, HashSet<string> Marks)> RunAsync(HttpClient http, string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt, trackCount = 15 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStringAsync().Within();
        Assert.Contains("event: job.completed", stream, StringComparison.Ordinal);
        var events = stream.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[5..]).RootElement).ToList();
        var marks = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var track in events.Where(e => e.TryGetProperty("track", out _)).Select(e => e.GetProperty("track")))
        {
            marks.Add(track.GetProperty("id").GetString()!);
            marks.UnionWith(track.GetProperty("artists").EnumerateArray().Select(a => a.GetString()!).Where(a => a.Length >= 5));
        }

        return (events[0].GetProperty("jobId").GetString()!, marks);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calling {Url}")]
    private static partial void LogCall(ILogger logger, Uri? url);

    // A line per upstream call, written where the call is made: in the context of whatever job the worker serves.
    private sealed class CallLine(ILogger logger) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LogCall(logger, request.RequestUri);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
