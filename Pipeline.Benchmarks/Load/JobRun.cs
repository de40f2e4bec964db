using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;

namespace Pipeline.Benchmarks.Load;

/// <summary>One job streamed to its end from a client's seat: when its events arrived, and how it ended.</summary>
internal sealed record JobRun(TimeSpan FirstEnriched, TimeSpan LastEnriched, TimeSpan Ended, string Terminal, int Enriched, int Events)
{
    public static async Task<JobRun> StreamAsync(HttpClient http, string prompt, int trackCount, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt, trackCount }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The job was refused with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
        }

        TimeSpan? first = null;
        var last = TimeSpan.Zero;
        var enriched = 0;
        var events = 0;
        var terminal = "";
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
        {
            events++;
            if (item.EventType == "track.enriched")
            {
                enriched++;
                last = Stopwatch.GetElapsedTime(started);
                first ??= last;
            }
            else if (item.EventType.StartsWith("job.", StringComparison.Ordinal) && item.EventType != "job.accepted")
            {
                terminal = item.EventType;
            }
        }

        return new JobRun(first ?? TimeSpan.Zero, last, Stopwatch.GetElapsedTime(started), terminal, enriched, events);
    }
}
