using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Configuration;

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Pipeline:Throttle:Limit", "0", "Pipeline:Throttle:Limit = 0:")]
    [InlineData("Pipeline:Throttle:Window", "-00:00:01", "Pipeline:Throttle:Window = -00:00:01 must be greater than 0")]
    [InlineData("Pipeline:Jobs:CallBudget", "-5", "Pipeline:Jobs:CallBudget = -5:")]
    [InlineData("Pipeline:Jobs:Deadline", "00:00:00", "Pipeline:Jobs:Deadline = 00:00:00 must be greater than 0")]
    public async Task StartAsync_InvalidSetting_FailsNamingKeyAndValue(string key, string value, string expected)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.Services.AddPipelineCore();
        using var host = builder.Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(thrown.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Create_StageConfiguredWithMoreWorkersThanCapacity_ThrowsNamingTheStageKey()
    {
        using var core = new CoreHarness(new Dictionary<string, string?>
        {
            ["Pipeline:Stages:search:Capacity"] = "16",
            ["Pipeline:Stages:search:MaxDegreeOfParallelism"] = "64",
        });

        var thrown = Assert.Throws<OptionsValidationException>(() => core.Stages.Create<int, int>("search", (v, _, _) => ValueTask.FromResult(v)));

        Assert.Contains("Pipeline:Stages:search:MaxDegreeOfParallelism = 64 exceeds Capacity = 16.", thrown.Failures);
    }

    [Fact]
    public void Create_StageConfigured_UsesItsSection()
    {
        using var core = new CoreHarness(new Dictionary<string, string?>
        {
            ["Pipeline:Stages:enrich:Capacity"] = "7",
            ["Pipeline:Stages:enrich:Overflow"] = "Shed",
        });

        var stage = core.Stages.Create<int, int>("enrich", (v, _, _) => ValueTask.FromResult(v));

        Assert.Equal((7, OverflowPolicy.Shed), (stage.Options.Capacity, stage.Options.Overflow));
    }
}
