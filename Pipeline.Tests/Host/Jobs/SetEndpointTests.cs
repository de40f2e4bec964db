using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary><c>GET /v1/jobs/{id}/set</c> on the real host: the set as JSON, M3U and CSV, and the errors around it.</summary>
[Collection(nameof(SerialTests))]
public sealed class SetEndpointTests
{
    [Fact]
    public async Task GetSet_FinishedJob_JsonM3uAndCsvInPlayOrder()
    {
        using var host = new HostServer();
        using var http = host.CreateClient();
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "dark techno around 130 bpm", trackCount = 6 });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var early = await http.GetAsync(new Uri($"/v1/jobs/{id}/set", UriKind.Relative));
        await Signals.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("state").GetString() != "running");

        var set = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}/set");
        using var m3u = await http.GetAsync(new Uri($"/v1/jobs/{id}/set?format=m3u", UriKind.Relative));
        using var csv = await http.GetAsync(new Uri($"/v1/jobs/{id}/set?format=csv", UriKind.Relative));
        using var bad = await http.GetAsync(new Uri($"/v1/jobs/{id}/set?format=xml", UriKind.Relative));
        using var missing = await http.GetAsync(new Uri("/v1/jobs/0123456789abcdef0123456789abcdef/set", UriKind.Relative));

        Assert.True(early.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.OK); // 409 until set.completed
        var tracks = set.GetProperty("tracks").EnumerateArray().ToList();
        Assert.Equal(6, tracks.Count);
        Assert.Equal([1, 2, 3, 4, 5, 6], tracks.Select(t => t.GetProperty("position").GetInt32()));
        Assert.All(tracks, t => Assert.StartsWith("spotify:track:", t.GetProperty("uri").GetString(), StringComparison.Ordinal));
        Assert.True(set.GetProperty("quality").GetProperty("keyCompatibleShare").GetDouble() >= 0);

        Assert.Equal("audio/x-mpegurl", m3u.Content.Headers.ContentType!.MediaType);
        Assert.Equal("dark-techno-around-130-bpm.m3u", m3u.Content.Headers.ContentDisposition!.FileName);
        var lines = (await m3u.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("#EXTM3U", lines[0]);
        var entries = lines.Where(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal)).ToList();
        Assert.Equal(tracks.Select(t => $"{string.Join(", ", t.GetProperty("artists").EnumerateArray().Select(a => a.GetString()))} – {t.GetProperty("title").GetString()}"), entries.Select(l => l[(l.IndexOf(',', StringComparison.Ordinal) + 1)..]));
        Assert.Equal(tracks.Select(t => t.GetProperty("uri").GetString()), lines.Where(l => l.StartsWith("spotify:", StringComparison.Ordinal)));

        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("position,artist,title,bpm", rows[0], StringComparison.Ordinal);
        Assert.Equal(7, rows.Length);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("format", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
