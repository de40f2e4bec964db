using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Host.Storage;

/// <summary>
/// The host process on a real 3 MB tmpfs the test mounts itself: the disk fills while jobs run and is grown live, and
/// every job the host acknowledged with a 202 is still there, with its terminal event, after a kill -9 and a restart.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class FullDiskProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task SmallTmpfs_FilledWhileJobsRun_ThenGrown_NoAcknowledgedJobLost()
    {
        using var disk = TmpfsMount.TryMount("3m", out var refused);
        Assert.True(disk is not null || Environment.GetEnvironmentVariable("PIPELINE_REQUIRE_MOUNT") is null, refused + ", and PIPELINE_REQUIRE_MOUNT requires it here");
        Skip.If(disk is null, refused);
        var accepted = new List<string>();
        var settings = new Dictionary<string, string> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "40" }; // jobs still running when the disk fills

        await using (var host = await ChildHost.StartAsync(disk.Path, settings))
        {
            using var http = host.CreateClient();
            for (var i = 0; i < 4; i++)
            {
                accepted.Add(await StartAsync(http, $"a 12{i} BPM house set") ?? throw new InvalidOperationException("refused on an empty disk"));
            }

            var filler = disk.Fill();
            await UntilAsync(http, "/health/ready", r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            output.WriteLine($"full: {new FileInfo(filler).Length / 1024} KiB of filler");
            using (var refusedNow = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "dark techno", trackCount = 5, detach = true }))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedNow.StatusCode); // not a 202 it could not keep
                Assert.NotNull(refusedNow.Headers.RetryAfter);
            }

            disk.Resize("50m");
            await UntilAsync(http, "/health/ready", r => r.StatusCode == HttpStatusCode.OK);
            accepted.Add(await StartAsync(http, "disco for a roller rink") ?? throw new InvalidOperationException("refused after the disk grew"));
            await host.KillAsync(); // at once: the 202 just given must already be kept
        }

        await using (var restarted = await ChildHost.StartAsync(disk.Path, settings))
        {
            using var http = restarted.CreateClient();
            foreach (var id in accepted)
            {
                var job = await UntilAsync(http, $"/v1/jobs/{id}", r => r.StatusCode == HttpStatusCode.OK && Json(r).GetProperty("state").GetString() != "running");
                var events = await http.GetStringAsync($"/v1/jobs/{id}/events");
                var last = events.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
                output.WriteLine($"{id}: {job.GetProperty("state").GetString()}, last {last.Split('\n')[0]}");
                Assert.Matches("(?m)^event: job\\.(completed|failed|cancelled|timeout)$", last);
            }
        }
    }

    private static JsonElement Json(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<JsonElement>(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());

    // A detached job (no stream to keep it alive), or null when refused.
    private static async Task<string?> StartAsync(HttpClient http, string prompt)
    {
        using var response = await http.PostAsJsonAsync("/v1/jobs", new { prompt, trackCount = 8, detach = true });
        return response.StatusCode == HttpStatusCode.Accepted ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString() : null;
    }

    // Polls an answer until it holds, on the host's real clock, bounded.
    private static async Task<JsonElement> UntilAsync(HttpClient http, string path, Func<HttpResponseMessage, bool> holds)
    {
        var started = Stopwatch.StartNew();
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            if (holds(response))
            {
                return JsonSerializer.Deserialize<JsonElement>(body);
            }

            Assert.True(started.Elapsed < Bound, $"{path} never held: {(int)response.StatusCode} {body}");
            await poll.WaitForNextTickAsync();
        }
    }
}
