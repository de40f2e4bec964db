using Microsoft.Playwright;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host;

/// <summary>The demo page in a real browser: Playwright driving Debian's chromium (installed by .ci/run).</summary>
[Collection(nameof(SerialTests))]
public sealed class DemoPageTests
{
    [SkippableFact]
    public async Task DemoPage_BuildASet_ProgressTracksAndTheStreamedSetAppear()
    {
        Requires.Chromium();

        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "60" });
        using var http = host.CreateClient();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(http.BaseAddress!.ToString());
        await page.FillAsync("#prompt", "a 124 BPM sunset house set");
        await page.ClickAsync("#more summary");
        await page.FillAsync("#count", "6");
        await page.ClickAsync("#start");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#order tbody tr")).ToHaveCountAsync(6);
        Assert.True(await page.Locator("#tracks tbody tr").CountAsync() >= 6); // the pool the set came from
        await Assertions.Expect(page.Locator("#stages .bar[data-stage=enrichment]")).ToBeVisibleAsync();
        var set = await page.InnerTextAsync("#llm");
        Assert.Contains("BPM", set);
        Assert.DoesNotContain("—", await page.InnerTextAsync("#tracks tbody tr:first-child td:nth-child(3)")); // BPM filled in
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "pipeline-demo.png"), FullPage = true });
    }

    [SkippableFact]
    public async Task DemoPage_InvalidRequest_ShowsTheProblemNamingTheField()
    {
        Requires.Chromium();

        using var host = new HostServer();
        using var http = host.CreateClient();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(http.BaseAddress!.ToString());
        await page.ClickAsync("#more summary");
        await page.FillAsync("#count", "500");
        await page.EvalOnSelectorAsync("#count", "e => e.removeAttribute('max')"); // past the form's own check, to the server's
        await page.ClickAsync("#start");

        await Assertions.Expect(page.Locator("#problem")).ToContainTextAsync("trackCount", new() { Timeout = 15_000 });
    }
}
