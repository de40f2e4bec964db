using Microsoft.Playwright;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host;

/// <summary>
/// The demo page's set in a real browser (Playwright driving Debian's chromium, installed by .ci/run): the ordered set,
/// its curve, and the M3U download in play order, in the open mode and with bearer tokens required.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class SetPageTests
{
    [SkippableTheory]
    [InlineData(null)]
    [InlineData("dj-secret-token-0123456789")]
    public async Task SetPage_BuildASet_OrderedSetCurveAndM3uInPlayOrder(string? token)
    {
        Requires.Chromium();
        var settings = new Dictionary<string, string?> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "200" };
        if (token is not null)
        {
            settings["Pipeline:Auth:Tokens:dj"] = token;
        }

        using var host = new HostServer(settings);
        using var http = host.CreateClient();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { AcceptDownloads = true });

        await page.GotoAsync(http.BaseAddress!.ToString());
        await page.FillAsync("#prompt", "90s hip hop for a house party");
        await page.ClickAsync("#more summary");
        await page.FillAsync("#count", "8");
        if (token is not null)
        {
            await page.FillAsync("#token", token);
        }

        await page.ClickAsync("#start");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#intent")).ToContainTextAsync("hip hop");
        await Assertions.Expect(page.Locator("#order tbody tr")).ToHaveCountAsync(8);
        Assert.Equal(8, await page.Locator("#curve circle").CountAsync());
        Assert.Equal(3, await page.Locator("#curve polyline").CountAsync());
        var shown = await page.Locator("#order tbody tr td:nth-child(2)").AllInnerTextsAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#m3u"));
        var m3u = await File.ReadAllTextAsync((await download.PathAsync())!);

        // The page's order is the set's order, and the download lists it in that order.
        var titles = m3u.Split('\n').Where(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(',', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(shown, titles);
        Assert.StartsWith("#EXTM3U", m3u, StringComparison.Ordinal);
        Assert.EndsWith(".m3u", download.SuggestedFilename, StringComparison.Ordinal);
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = null;
            using var anonymous = await http.GetAsync(new Uri("/v1/throttle", UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode); // the page streamed with its token, not an open API
        }
    }
}
