using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Host.Jobs;
using Pipeline.Host.Streaming;
using Pipeline.Tests.Support;
using Snapshooter.Xunit;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>
/// The wire shape of every event type a job streams, under a snapshot (a change is a reviewed .snap diff), and each
/// read back into its record as a restart reads it.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class EventSchemaTests
{
    [Fact]
    public async Task JobStream_EventShapes_MatchSnapshot()
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20" }); // long enough for stage.progress
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 2 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        var shapes = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            var paths = shapes.TryGetValue(item.EventType, out var seen) ? seen : shapes[item.EventType] = new SortedSet<string>(StringComparer.Ordinal);
            Shape(JsonDocument.Parse(item.Data).RootElement, "", paths);
            var read = LoggedEvents.Read(new JobLogEntry(long.Parse(item.EventId!, CultureInfo.InvariantCulture), item.EventType, item.Data), JobEventTypes.All); // as a restart reads it back
            Assert.Equal(item.EventType, read?.Type);
        }

        Snapshot.Match(shapes.ToDictionary(s => s.Key, s => string.Join(", ", s.Value)));
    }

    // Paths and value kinds; keys of per-stage maps are collapsed, since which stages report varies with timing.
    private static void Shape(JsonElement element, string path, SortedSet<string> paths)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = path.EndsWith("stages", StringComparison.Ordinal) ? "{stage}" : property.Name;
                    Shape(property.Value, path.Length == 0 ? name : $"{path}.{name}", paths);
                }

                break;
            case JsonValueKind.Array:
                paths.Add($"{path}: array");
                foreach (var item in element.EnumerateArray())
                {
                    Shape(item, path + "[]", paths);
                }

                break;
            default:
                paths.Add($"{path}: {(element.ValueKind is JsonValueKind.True or JsonValueKind.False ? "boolean" : element.ValueKind.ToString().ToLowerInvariant())}");
                break;
        }
    }
}
