using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>The host as a child process: a kill -9 or a SIGTERM mid-job, a restart on the same data folder, a reconnect with the last id.</summary>
[Collection(nameof(SerialTests))]
public sealed class RestartTests : IDisposable
{
    private readonly TempDirectory _data = new();

    // Slow enough to be caught mid-job: a streamed model at 40 tokens/s.
    private static readonly Dictionary<string, string> Slow = new() { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "40" };

    public void Dispose() => _data.Dispose();

    private static HttpRequestMessage Start(string prompt, int trackCount, bool detach = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt, trackCount, detach }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return request;
    }

    private static HttpRequestMessage Resume(string id, string lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        request.Headers.Add("Last-Event-ID", lastEventId);
        return request;
    }

    // Reads until the stream ends, or until `stop` says so (the connection is then dropped). A stream cut by the host dying ends the read.
    private static async Task<List<SseItem<string>>> ReadAsync(HttpResponseMessage response, Func<List<SseItem<string>>, bool>? stop = null)
    {
        var items = new List<SseItem<string>>();
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            await foreach (var item in SseParser.Create(body).EnumerateAsync())
            {
                items.Add(item);
                if (stop?.Invoke(items) == true)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // the host went away mid-stream
        }

        return items;
    }

    private static string JobId(List<SseItem<string>> items) => JsonDocument.Parse(items[0].Data).RootElement.GetProperty("jobId").GetString()!;

    private static void AssertSeamless(List<SseItem<string>> before, List<SseItem<string>> after, string terminal)
    {
        var all = before.Concat(after).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), all.Select(i => i.EventId));
        Assert.Single(all, i => i.EventType.StartsWith("job.", StringComparison.Ordinal) && i.EventType != "job.accepted");
        Assert.Equal(terminal, all[^1].EventType);
        Assert.Single(all, i => i.EventType == "job.accepted");
        var found = all.Where(i => i.EventType == "track.found").Select(i => JsonDocument.Parse(i.Data).RootElement.GetProperty("track").GetProperty("id").GetString()).ToList();
        var enriched = all.Where(i => i.EventType == "track.enriched").Select(i => JsonDocument.Parse(i.Data).RootElement.GetProperty("track").GetProperty("id").GetString()).ToList();
        Assert.Equal(found.Distinct(), found); // no track emitted twice
        Assert.Equal(enriched.Distinct(), enriched);
        if (terminal == "job.completed")
        {
            var text = string.Concat(all.Where(i => i.EventType == "llm.delta").Select(i => JsonDocument.Parse(i.Data).RootElement.GetProperty("text").GetString()));
            var completed = JsonDocument.Parse(all.Single(i => i.EventType == "llm.completed").Data).RootElement.GetProperty("text").GetString();
            Assert.Equal(completed, text); // the streamed text joins up exactly
        }
    }

    [Theory]
    [InlineData("track.enriched", 3)] // among the tracks
    [InlineData("llm.delta", 5)] // in the middle of the model's text
    public async Task KilledMidJob_RestartedOnTheSameData_ReconnectWithTheLastIdGetsASeamlessStream(string killAfter, int count)
    {
        List<SseItem<string>> before;
        await using (var first = await ChildHost.StartAsync(_data.Path, Slow))
        {
            using var http = first.CreateClient();
            using var response = await http.SendAsync(Start("late night deep house", 8), HttpCompletionOption.ResponseHeadersRead);
            before = await ReadAsync(response, items => items.Count(i => i.EventType == killAfter) == count).Within();
            await first.KillAsync();
        }

        await using var second = await ChildHost.StartAsync(_data.Path, Slow);
        using var client = second.CreateClient();
        using var resumed = await client.SendAsync(Resume(JobId(before), before[^1].EventId!), HttpCompletionOption.ResponseHeadersRead);
        var after = await ReadAsync(resumed).Within();

        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.DoesNotContain(after, i => i.EventType is "job.failed");
        AssertSeamless(before, after, "job.completed");
    }

    [Fact]
    public async Task KilledMidJob_Restarted_ItsBudgetGoesOnFromWhereItWas()
    {
        string id;
        int usedBefore;
        await using (var first = await ChildHost.StartAsync(_data.Path, Slow))
        {
            using var http = first.CreateClient();
            using var response = await http.SendAsync(Start("late night deep house", 8), HttpCompletionOption.ResponseHeadersRead);
            var before = await ReadAsync(response, items => items.Count(i => i.EventType == "llm.delta") == 5).Within();
            id = JobId(before);
            usedBefore = (await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("callsUsed").GetInt32();
            using var more = await http.SendAsync(Resume(id, before[^1].EventId!), HttpCompletionOption.ResponseHeadersRead);
            await ReadAsync(more, items => items.Count(i => i.EventType == "stage.progress") == 2).Within(); // the count saved with the first, committed before the second
            await first.KillAsync();
        }

        await using var second = await ChildHost.StartAsync(_data.Path, Slow);
        using var client = second.CreateClient();
        var resumed = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");

        Assert.True(usedBefore > 0);
        Assert.True(resumed.GetProperty("callsUsed").GetInt32() >= usedBefore, $"{resumed.GetProperty("callsUsed").GetInt32()} calls used after the restart, {usedBefore} before");
    }

    [Fact]
    public async Task Sigterm_StopsAdmittingLetsTheJobFinishAndExitsCleanly()
    {
        await using var host = await ChildHost.StartAsync(_data.Path, Slow);
        using var http = host.CreateClient();
        using var response = await http.SendAsync(Start("sunset house", 4), HttpCompletionOption.ResponseHeadersRead);
        var started = await ReadAsync(response, items => items.Any(i => i.EventType == "llm.delta")).Within();

        using var rest = await http.SendAsync(Resume(JobId(started), started[^1].EventId!), HttpCompletionOption.ResponseHeadersRead);
        host.Terminate();
        await Signals.UntilAsync(async () =>
        {
            using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        });
        using var refused = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "too late" });

        var after = await ReadAsync(rest).Within();
        var exit = await host.WaitForExitAsync(Signals.Guard);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        AssertSeamless(started, after, "job.completed");
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Sigterm_JobLongerThanTheDrain_ResumesAtTheNextStart()
    {
        var shortDrain = new Dictionary<string, string>(Slow) { ["Pipeline:Storage:DrainTimeout"] = "00:00:00.500", ["Pipeline:Sandbox:LlmTokensPerSecond"] = "10" };
        List<SseItem<string>> before;
        await using (var first = await ChildHost.StartAsync(_data.Path, shortDrain))
        {
            using var http = first.CreateClient();
            using var response = await http.SendAsync(Start("rainy day jazz", 5), HttpCompletionOption.ResponseHeadersRead);
            before = await ReadAsync(response, items =>
            {
                if (items[^1].EventType == "llm.delta" && items.Count(i => i.EventType == "llm.delta") == 1)
                {
                    first.Terminate(); // and read on: the stream ends without a terminal event
                }

                return false;
            }).Within();
            Assert.Equal(0, await first.WaitForExitAsync(Signals.Guard));
        }

        Assert.DoesNotContain(before, i => i.EventType.StartsWith("job.", StringComparison.Ordinal) && i.EventType != "job.accepted");
        await using var second = await ChildHost.StartAsync(_data.Path, shortDrain);
        using var client = second.CreateClient();
        using var resumed = await client.SendAsync(Resume(JobId(before), before[^1].EventId!), HttpCompletionOption.ResponseHeadersRead);
        var after = await ReadAsync(resumed).Within();

        Assert.True(after.Count > 0 && after[^1].EventType == "job.completed", resumed.StatusCode + " " + string.Join(",", before.Concat(after).Select(i => i.EventId + i.EventType)) + second.Output);
        AssertSeamless(before, after, "job.completed");
    }
}
