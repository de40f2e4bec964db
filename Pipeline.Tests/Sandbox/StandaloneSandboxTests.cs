using System.Net.Http.Json;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox;

/// <summary>The sandbox in a process of its own (<c>dotnet run --project Pipeline.Sandbox</c>), as several hosts share it.</summary>
public sealed class StandaloneSandboxTests
{
    [Fact]
    public async Task Start_ReadyWithItsCatalog_AnswersAndLogsEveryRequestWithoutALinePerRequest()
    {
        await using var sandbox = await ChildHost.StartShippedAsync(command: [Path.Combine(AppContext.BaseDirectory, "Pipeline.Sandbox.dll")]).Within();
        using var http = sandbox.CreateClient();

        var found = await http.GetFromJsonAsync<DeezerPage>(new Uri("/sandbox/deezer/search?q=artist:%22Daft%20Punk%22", UriKind.Relative)).Within();
        var logged = await http.GetFromJsonAsync<List<SandboxRequest>>(new Uri("/sandbox/requests", UriKind.Relative)).Within();

        Assert.NotEmpty(found!.Data);
        Assert.Equal("deezer", Assert.Single(logged!).Upstream);
        Assert.DoesNotContain("Request starting", sandbox.Output, StringComparison.Ordinal); // ASP.NET Core's request lines are off
        Assert.Contains("Now listening on", sandbox.Output, StringComparison.Ordinal); // its start is still told
    }

    private sealed record DeezerPage(List<object> Data);
}
