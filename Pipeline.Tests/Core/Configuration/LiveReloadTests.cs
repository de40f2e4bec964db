using Microsoft.Extensions.Logging.Testing;
using Pipeline.Stages;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Core.Configuration;

public sealed class LiveReloadTests
{
    private static readonly Dictionary<string, string?> Start = new()
    {
        ["Pipeline:Throttle:Limit"] = "40",
        ["Pipeline:Throttle:Lanes:spotify"] = "5",
        ["Pipeline:Stages:enrich:Capacity"] = "2",
        ["Pipeline:Stages:enrich:MaxDegreeOfParallelism"] = "1",
        ["Pipeline:Stages:enrich:Overflow"] = "Shed",
        ["Pipeline:Stages:enrich:FairShare"] = "false",
        ["Pipeline:Jobs:CallBudget"] = "100",
    };

    [Fact]
    public void ValidChange_ThrottleLanesAndBudgetTakeItAndItIsCounted()
    {
        using var core = new CoreHarness(Start);
        using var reloads = core.Collect<long>("pipeline.config.reloads");
        var throttle = core.Throttle;

        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "80", ["Pipeline:Throttle:Lanes:spotify"] = "7", ["Pipeline:Jobs:CallBudget"] = "12" });

        var snapshot = throttle.GetSnapshot();
        Assert.Equal(80, snapshot.Limit);
        Assert.Equal(7, snapshot.Lanes.Single(l => l.Lane == "spotify").Limit);
        Assert.Equal(12, core.Jobs.Start().Budget.Limit);
        Assert.Contains(reloads.GetMeasurementSnapshot(), m => Equals(m.Tags["section"], "Pipeline:Throttle") && Equals(m.Tags["result"], "accepted"));
    }

    [Fact]
    public void ChangeElsewhere_UnchangedSectionsNeitherCountedNorLogged()
    {
        using var core = new CoreHarness(Start);
        using var reloads = core.Collect<long>("pipeline.config.reloads");
        _ = core.Throttle;
        _ = core.Jobs.Start();

        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Jobs:CallBudget"] = "12" });

        var sections = reloads.GetMeasurementSnapshot().Select(m => (string)m.Tags["section"]!).ToList();
        Assert.Contains("Pipeline:Jobs", sections);
        Assert.DoesNotContain("Pipeline:Throttle", sections);
        Assert.DoesNotContain(core.Get<FakeLogCollector>().GetSnapshot(), r => r.Message.Contains("Pipeline:Throttle reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public void InvalidChange_RejectedLoggedNamingKeyAndValue_LastGoodValuesStay()
    {
        using var core = new CoreHarness(Start);
        using var reloads = core.Collect<long>("pipeline.config.reloads");
        var (throttle, jobs) = (core.Throttle, core.Jobs); // as a host builds them at start
        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "80" });

        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "0", ["Pipeline:Jobs:CallBudget"] = "-1" });

        Assert.Equal(80, throttle.GetSnapshot().Limit);
        Assert.Equal(100, jobs.Start().Budget.Limit);
        Assert.Contains(reloads.GetMeasurementSnapshot(), m => Equals(m.Tags["section"], "Pipeline:Throttle") && Equals(m.Tags["result"], "rejected"));
        var errors = core.Get<FakeLogCollector>().GetSnapshot().Where(r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error).Select(r => r.Message).ToList();
        Assert.Contains(errors, m => m.Contains("Pipeline:Throttle:Limit = 0", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.Contains("Pipeline:Jobs:CallBudget = -1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StageCapacity_RaisedLive_MoreItemsFitLoweredLive_FewerDo()
    {
        using var core = new CoreHarness(Start);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stage = core.Stages.Create<int, int>("enrich", async (v, _, _) =>
        {
            await Volatile.Read(ref gate).Task; // items hold their place until the gate opens
            return v;
        });
        var job = core.Jobs.Start();
        int Taken(int offers) => Enumerable.Range(0, offers).Count(i => stage.Offer(new StageItem<int>(job, i)).Accepted);

        var atTwo = Taken(5);
        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Stages:enrich:Capacity"] = "6" });
        var atSix = Taken(5);
        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Stages:enrich:Capacity"] = "3", ["Pipeline:Stages:enrich:MaxDegreeOfParallelism"] = "0" });
        var capacityAfterInvalid = stage.Options.Capacity; // MaxDegreeOfParallelism 0 is invalid: the whole change is rejected
        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Stages:enrich:MaxDegreeOfParallelism"] = "1" });
        gate.SetResult();
        await Signals.UntilAsync(() => stage.InStage == 0);
        Volatile.Write(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var atThree = Taken(5);

        Assert.Equal(2, atTwo);
        Assert.Equal(4, atSix); // 2 held + 4 more
        Assert.Equal(6, capacityAfterInvalid);
        Assert.Equal(3, stage.Options.Capacity);
        Assert.Equal(3, atThree);
        gate.SetResult();
    }
}
