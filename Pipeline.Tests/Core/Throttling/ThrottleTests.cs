using Pipeline.Jobs;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

public sealed class ThrottleTests
{
    // Each call in an async flow of its own: a call made while the caller's flow holds a lease on the lane is nested.
    private static async Task<ThrottleLease> Acquire(Throttle throttle, string lane, JobContext? job, CancellationToken cancellationToken) =>
        await throttle.AcquireAsync(lane, job, cancellationToken);

    // Exact schedules: no safety margin unless a test asks for one.
    private static CoreHarness Harness(params (string Key, string Value)[] settings) =>
        new(settings.Prepend((Key: "Pipeline:Throttle:SafetyMargin", Value: "00:00:00")).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value), time: null);

    [Fact]
    public async Task AcquireAsync_LaneFull_WaitsForSlotWithoutTakingAPermit()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "2"), ("Pipeline:Throttle:Lanes:x", "1"));
        var first = await Acquire(core.Throttle, "x", null, CancellationToken.None).Within();

        var second = Acquire(core.Throttle, "x", null, CancellationToken.None);
        await Signals.SettleAsync();

        Assert.False(second.IsCompleted);
        var waiting = core.Throttle.GetSnapshot();
        Assert.Equal(1, waiting.StartedInWindow); // the waiting call holds no permit
        Assert.Equal(new LaneSnapshot("x", 1, 1, 1, null), waiting.Lanes.Single(l => l.Lane == "x"));

        first.Dispose();
        using var lease = await second.Within();

        Assert.True(lease.IsAcquired);
        Assert.Equal(2, core.Throttle.GetSnapshot().StartedInWindow);
    }

    [Fact]
    public async Task AcquireAsync_NestedSameLaneDeeperThanLaneSize_AllComplete()
    {
        using var core = new CoreHarness(new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "100000" }, TimeProvider.System);
        var job = core.Jobs.Start();
        var throttle = core.Throttle;
        var deepest = 0;

        async Task Call(int depth)
        {
            using var lease = (await throttle.AcquireAsync("spotify", job, CancellationToken.None)).EnsureAcquired();
            Assert.InRange(throttle.GetSnapshot().Lanes.Single(l => l.Lane == "spotify").InUse, 1, 5);
            Interlocked.Exchange(ref deepest, Math.Max(deepest, depth));
            if (depth < 7)
            {
                // Sequential and parallel children on the lane their caller holds.
                await Call(depth + 1);
                await Task.WhenAll(Call(depth + 2), Call(depth + 2));
            }
        }

        // Five outer calls hold all five spotify slots; every nested call must borrow, not wait.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => Call(1)))).Within();

        Assert.Equal(8, deepest);
        Assert.Equal(0, throttle.GetSnapshot().Lanes.Single(l => l.Lane == "spotify").InUse);
    }

    [Fact]
    public async Task LaneRate_QuotaOfALane_ItsCallsSpacedUnderItRoundRobinOtherLanesUntouched()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "100"), ("Pipeline:Throttle:LaneRates:lastfm", "2"), ("Pipeline:Throttle:Lanes:lastfm", "10"));
        var (big, small) = (core.Jobs.Start(), core.Jobs.Start());
        var bigCalls = Enumerable.Range(0, 4).Select(_ => Acquire(core.Throttle, "lastfm", big, CancellationToken.None)).ToList();
        var smallCall = Acquire(core.Throttle, "lastfm", small, CancellationToken.None);
        var otherLane = await Acquire(core.Throttle, "deezer", big, CancellationToken.None).Within();
        await Signals.UntilAsync(() => bigCalls.Count(c => c.IsCompleted) == 2); // the lane's two for this window

        core.FakeTime.Advance(TimeSpan.FromMilliseconds(999));
        await Signals.SettleAsync();
        var beforeTheWindow = bigCalls.Count(c => c.IsCompleted) + (smallCall.IsCompleted ? 1 : 0);
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        await Signals.UntilAsync(() => smallCall.IsCompleted && bigCalls.Count(c => c.IsCompleted) == 3);
        await Signals.SettleAsync();

        Assert.True(otherLane.IsAcquired);
        Assert.Equal(2, beforeTheWindow);
        Assert.True((await smallCall.Within()).IsAcquired); // the small job's turn comes before the big job's other two
        Assert.Equal(3, bigCalls.Count(c => c.IsCompleted));
        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Throttle:LaneRates:lastfm"] = "10" });
        await Signals.SettleAsync();
        Assert.All(await Task.WhenAll(bigCalls).Within(), c => Assert.True(c.IsAcquired)); // a higher lane rate takes effect live
    }

    [Fact]
    public async Task LaneWindow_RateCountedOverFiveSeconds_ABurstAtOnceThenTheNextAfterTheWholeWindow()
    {
        using var core = Harness(
            ("Pipeline:Throttle:Limit", "100"),
            ("Pipeline:Throttle:Lanes:lastfm", "10"),
            ("Pipeline:Throttle:LaneRates:lastfm", "3"),
            ("Pipeline:Throttle:LaneWindows:lastfm", "00:00:05"));
        var job = core.Jobs.Start();
        var calls = Enumerable.Range(0, 5).Select(_ => Acquire(core.Throttle, "lastfm", job, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => calls.Count(c => c.IsCompleted) == 3); // three at once: the lane's 3 per 5 s

        core.FakeTime.Advance(TimeSpan.FromMilliseconds(4999));
        await Signals.SettleAsync();
        Assert.Equal(3, calls.Count(c => c.IsCompleted)); // 1 s, the throttle's own window, is not the lane's
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(1));

        Assert.All(await Task.WhenAll(calls).Within(), c => Assert.True(c.IsAcquired));
    }

    [Fact]
    public async Task LaneSpacing_QuotaPacedEvenly_ANewcomerWaitsOneStepAndTheWindowStillHolds()
    {
        using var core = Harness(
            ("Pipeline:Throttle:Limit", "100"),
            ("Pipeline:Throttle:Lanes:lastfm", "10"),
            ("Pipeline:Throttle:LaneRates:lastfm", "3"),
            ("Pipeline:Throttle:LaneWindows:lastfm", "00:00:05"),
            ("Pipeline:Throttle:LaneSpacing:lastfm", "00:00:01"));
        var (big, small) = (core.Jobs.Start(), core.Jobs.Start());
        var bigCalls = Enumerable.Range(0, 4).Select(_ => Acquire(core.Throttle, "lastfm", big, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => bigCalls[0].IsCompleted);
        var smallCall = Acquire(core.Throttle, "lastfm", small, CancellationToken.None);

        int Started() => bigCalls.Count(c => c.IsCompleted) + (smallCall.IsCompleted ? 1 : 0);

        // One start per second until the window's three are spent; the fourth waits for the first to be 5 s old.
        int[] expected = [1, 2, 3, 3, 3, 4, 5];
        for (var second = 0; second < expected.Length; second++)
        {
            await Signals.UntilAsync(() => Started() == expected[second]);
            if (second == 1)
            {
                Assert.True(smallCall.IsCompleted); // one step after the big job's first call, ahead of its other three
            }

            core.FakeTime.Advance(TimeSpan.FromMilliseconds(999));
            await Signals.SettleAsync();
            Assert.Equal(expected[second], Started()); // nothing within a step
            core.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.All(await Task.WhenAll(bigCalls).Within(), c => Assert.True(c.IsAcquired));
    }

    [Fact]
    public async Task LaneRate_LongJobQueuedBeyondTheLanesSlots_NewcomersFirstCallTakesTheNextPermit()
    {
        using var core = Harness(
            ("Pipeline:Throttle:Limit", "100"),
            ("Pipeline:Throttle:Lanes:lastfm", "2"),
            ("Pipeline:Throttle:LaneRates:lastfm", "1"));
        var (big, small) = (core.Jobs.Start(), core.Jobs.Start());
        var bigCalls = Enumerable.Range(0, 6).Select(_ => Acquire(core.Throttle, "lastfm", big, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => bigCalls[0].IsCompleted);
        (await bigCalls[0]).Dispose();
        var smallCall = Acquire(core.Throttle, "lastfm", small, CancellationToken.None);
        await Signals.SettleAsync();

        // The big job's waiters hold no slot while they wait for the lane's rate, so the small job's first call is
        // not stuck behind them at the lane: it takes the next permit.
        Assert.Equal(0, core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "lastfm").InUse);
        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        using var lease = await smallCall.Within();
        await Signals.SettleAsync();

        Assert.True(lease.IsAcquired);
        Assert.Equal(1, bigCalls.Count(c => c.IsCompleted));
        for (var second = 1; second <= 5; second++)
        {
            core.FakeTime.Advance(TimeSpan.FromSeconds(1));
            (await bigCalls[second].Within()).Dispose(); // then the big job's, one a second, in order
        }
    }

    [Fact]
    public async Task LaneSpacing_Reconfigured_TakesEffectLive()
    {
        using var core = Harness(
            ("Pipeline:Throttle:Limit", "100"),
            ("Pipeline:Throttle:Lanes:lastfm", "10"),
            ("Pipeline:Throttle:LaneRates:lastfm", "10"),
            ("Pipeline:Throttle:LaneSpacing:lastfm", "00:00:00.500"));
        var job = core.Jobs.Start();
        var calls = Enumerable.Range(0, 4).Select(_ => Acquire(core.Throttle, "lastfm", job, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => calls[0].IsCompleted);
        await Signals.SettleAsync();
        Assert.Equal(1, calls.Count(c => c.IsCompleted));

        core.Reconfigure(new Dictionary<string, string?> { ["Pipeline:Throttle:LaneSpacing:lastfm"] = "00:00:00" });

        Assert.All(await Task.WhenAll(calls).Within(), c => Assert.True(c.IsAcquired)); // the rest at once, no clock moved
    }

    [Fact]
    public async Task EstimateWait_CallsQueuedAtALanesRate_TheirDrainTimePlusTheLanesPause()
    {
        using var core = Harness(
            ("Pipeline:Throttle:Limit", "100"),
            ("Pipeline:Throttle:Lanes:lastfm", "10"),
            ("Pipeline:Throttle:LaneRates:lastfm", "3"),
            ("Pipeline:Throttle:LaneWindows:lastfm", "00:00:06")); // one call each 2 s
        var job = core.Jobs.Start();
        Assert.Equal(TimeSpan.Zero, core.Throttle.EstimateWait());

        var calls = Enumerable.Range(0, 8).Select(_ => Acquire(core.Throttle, "lastfm", job, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => calls.Count(c => c.IsCompleted) == 3);
        Assert.Equal(TimeSpan.FromSeconds(10), core.Throttle.EstimateWait()); // five waiting, 2 s each

        core.Throttle.PauseLane("lastfm", TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(40), core.Throttle.EstimateWait());
        core.FakeTime.Advance(TimeSpan.FromSeconds(30));
        await Signals.UntilAsync(() => calls.Count(c => c.IsCompleted) == 6); // a full window has passed: three more
        Assert.Equal(TimeSpan.FromSeconds(4), core.Throttle.EstimateWait());
    }

    [Fact]
    public async Task PauseLane_RetryAfter_NoCallStartsBeforeItElapses()
    {
        using var core = Harness();
        core.Throttle.PauseLane("deezer", TimeSpan.FromSeconds(2));

        var call = Acquire(core.Throttle, "deezer", null, CancellationToken.None);
        var otherLane = await Acquire(core.Throttle, "lastfm", null, CancellationToken.None).Within();
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(1999));
        await Signals.SettleAsync();

        Assert.True(otherLane.IsAcquired);
        Assert.False(call.IsCompleted);
        Assert.NotNull(core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "deezer").PausedFor);

        core.FakeTime.Advance(TimeSpan.FromMilliseconds(1));
        using var lease = await call.Within();

        Assert.True(lease.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(2), lease.Waited);
    }

    [Fact]
    public async Task AcquireAsync_BudgetSpent_RefusedAtOnceAndOtherJobsGoOn()
    {
        using var core = Harness(("Pipeline:Jobs:CallBudget", "3"));
        var spender = core.Jobs.Start();
        var other = core.Jobs.Start();
        for (var i = 0; i < 3; i++)
        {
            (await Acquire(core.Throttle, "lastfm", spender, CancellationToken.None)).EnsureAcquired().Dispose();
        }

        var refused = Acquire(core.Throttle, "lastfm", spender, CancellationToken.None);

        Assert.True(refused.IsCompleted);
        using var lease = await refused;
        Assert.False(lease.IsAcquired);
        Assert.Equal(ThrottleRejectionReason.BudgetExhausted, lease.Reason);
        var thrown = Assert.Throws<ThrottleRejectedException>(() => lease.EnsureAcquired());
        Assert.Equal(ThrottleRejectionReason.BudgetExhausted, thrown.Reason);
        Assert.True(spender.Budget.IsExhausted);
        Assert.Equal(3, spender.Budget.Used);
        using var otherLease = await Acquire(core.Throttle, "lastfm", other, CancellationToken.None);
        Assert.True(otherLease.IsAcquired);
    }

    [Fact]
    public async Task AcquireAsync_AheadOffJobWith500QueuedAndJobWith5_SmallJobServedWithinItsRoundRobinTurns()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "10"), ("Pipeline:Throttle:Lanes:bulk", "1000"), ("Pipeline:Throttle:AheadCalls", "0"));
        var big = core.Jobs.Start();
        var small = core.Jobs.Start();
        var bigCalls = Enumerable.Range(0, 500).Select(_ => Acquire(core.Throttle, "bulk", big, CancellationToken.None)).ToList();
        await Signals.SettleAsync();
        var smallCalls = Enumerable.Range(0, 5).Select(_ => Acquire(core.Throttle, "bulk", small, CancellationToken.None)).ToList();
        await Signals.SettleAsync();

        // One more window: ten permits, alternating between the two jobs.
        for (var i = 0; i < 10; i++)
        {
            core.FakeTime.Advance(TimeSpan.FromMilliseconds(100));
            await Signals.SettleAsync();
        }

        await Task.WhenAll(smallCalls).Within();
        Assert.InRange(bigCalls.Count(c => c.IsCompleted), 10, 16);
    }

    [Fact]
    public async Task AcquireAsync_JobWith500QueuedAndJobWith8_SmallJobsFirstCallsGoAheadOfTheBigJobsLaterOnes()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "10"), ("Pipeline:Throttle:Lanes:bulk", "1000"));
        var big = core.Jobs.Start();
        var small = core.Jobs.Start();
        var bigCalls = Enumerable.Range(0, 500).Select(_ => Acquire(core.Throttle, "bulk", big, CancellationToken.None)).ToList();
        await Signals.SettleAsync();
        var smallCalls = Enumerable.Range(0, 8).Select(_ => Acquire(core.Throttle, "bulk", small, CancellationToken.None)).ToList();
        await Signals.SettleAsync();
        Assert.Equal(10, bigCalls.Count(c => c.IsCompleted)); // the first window went to the big job

        // The next window's ten permits: the small job's eight first, as it has made fewer calls than the big job
        // (whose waiting ones are its 11th on), then two for the big job. Round-robin would have given five and five.
        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Signals.SettleAsync();

        await Task.WhenAll(smallCalls).Within();
        await Signals.UntilAsync(() => bigCalls.Count(c => c.IsCompleted) >= 12);
        await Signals.SettleAsync();
        Assert.Equal(12, bigCalls.Count(c => c.IsCompleted));
    }

    [Fact]
    public async Task AcquireAsync_BothJobsWithinTheirFirstCalls_TheOneThatAskedForFewerGoesFirst()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "10"), ("Pipeline:Throttle:Lanes:bulk", "1000"));
        var small = core.Jobs.Start();
        var big = core.Jobs.Start();
        var smallFirst = Enumerable.Range(0, 12).Select(_ => Acquire(core.Throttle, "bulk", small, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => smallFirst.Count(c => c.IsCompleted) == 10);
        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(smallFirst).Within();

        // The big job asks for 20 at once (8 fit this window), then the small job for 5 more: 17 asked against 20,
        // all within the first 32. Ranked by the calls made when each was queued, the big job's 9th to 12th would go
        // first and the rest would take turns; ranked by what each job has asked for by now, the small job's go first.
        var bigCalls = Enumerable.Range(0, 20).Select(_ => Acquire(core.Throttle, "bulk", big, CancellationToken.None)).ToList();
        await Signals.UntilAsync(() => bigCalls.Count(c => c.IsCompleted) == 8);
        var smallLater = Enumerable.Range(0, 5).Select(_ => Acquire(core.Throttle, "bulk", small, CancellationToken.None)).ToList();
        await Signals.SettleAsync();

        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(smallLater).Within();
        await Signals.UntilAsync(() => bigCalls.Count(c => c.IsCompleted) >= 13);
        await Signals.SettleAsync();
        Assert.Equal(13, bigCalls.Count(c => c.IsCompleted));
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaitingForSlot_LeavesQueueAndRefundsBudget()
    {
        using var core = Harness(("Pipeline:Throttle:Lanes:x", "1"));
        var job = core.Jobs.Start();
        var holder = await Acquire(core.Throttle, "x", null, CancellationToken.None).Within();
        using var cts = new CancellationTokenSource();
        var waiting = Acquire(core.Throttle, "x", job, cts.Token);
        await Signals.SettleAsync();
        Assert.Equal(1, job.Budget.Used);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        Assert.Equal(0, job.Budget.Used);
        Assert.Equal(0, core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "x").Waiting);
        holder.Dispose();
        Assert.Equal(0, core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "x").InUse);
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaitingForPermit_FreesItsLaneSlot()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "1"));
        using var first = await Acquire(core.Throttle, "spotify", null, CancellationToken.None).Within();
        using var cts = new CancellationTokenSource();
        var waiting = Acquire(core.Throttle, "spotify", null, cts.Token);
        await Signals.SettleAsync();
        Assert.Equal(2, core.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == "spotify").InUse);
        Assert.Equal(1, core.Throttle.GetSnapshot().QueueLength);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        var snapshot = core.Throttle.GetSnapshot();
        Assert.Equal(0, snapshot.QueueLength);
        Assert.Equal(1, snapshot.Lanes.Single(l => l.Lane == "spotify").InUse);
    }

    [Fact]
    public async Task GetSnapshot_AfterStarts_ReportsConfiguredAndAchievedRate()
    {
        using var core = Harness();
        for (var i = 0; i < 10; i++)
        {
            (await Acquire(core.Throttle, "lastfm", null, CancellationToken.None)).Dispose();
        }

        var snapshot = core.Throttle.GetSnapshot();
        Assert.Equal(ThrottlePolicy.SlidingWindow, snapshot.Policy);
        Assert.Equal(40, snapshot.ConfiguredRate);
        Assert.Equal(10, snapshot.AchievedRate);

        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, core.Throttle.GetSnapshot().StartedInWindow);
    }

    [Fact]
    public async Task MarkSent_RequestWentOutLate_NextWindowCountsFromTheSend()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "2"), ("Pipeline:Throttle:Lanes:bulk", "100"));
        var first = await Acquire(core.Throttle, "bulk", null, CancellationToken.None);
        var second = await Acquire(core.Throttle, "bulk", null, CancellationToken.None);

        core.FakeTime.Advance(TimeSpan.FromMilliseconds(300));
        first.MarkSent(); // its connection took 300 ms
        second.MarkSent();
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(700));
        var third = Acquire(core.Throttle, "bulk", null, CancellationToken.None);
        await Signals.SettleAsync();

        Assert.False(third.IsCompleted); // a window after the grants, but not after the sends
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(300));
        Assert.True((await third.Within()).IsAcquired);
    }

    [Fact]
    public async Task AcquireAsync_SafetyMargin_SpacesStartsByWindowPlusMargin()
    {
        using var core = Harness(("Pipeline:Throttle:Limit", "1"), ("Pipeline:Throttle:SafetyMargin", "00:00:00.050"));
        using var first = await Acquire(core.Throttle, "x", null, CancellationToken.None);
        var second = Acquire(core.Throttle, "y", null, CancellationToken.None);

        core.FakeTime.Advance(TimeSpan.FromSeconds(1));
        await Signals.SettleAsync();
        Assert.False(second.IsCompleted);
        core.FakeTime.Advance(TimeSpan.FromMilliseconds(50));

        Assert.True((await second.Within()).IsAcquired);
    }

    [Fact]
    public async Task AcquireAsync_TokenBucketPolicy_BurstThenRate()
    {
        using var core = Harness(("Pipeline:Throttle:Policy", "TokenBucket"), ("Pipeline:Throttle:Limit", "10"), ("Pipeline:Throttle:Burst", "3"), ("Pipeline:Throttle:Lanes:bulk", "100"));
        var leases = Enumerable.Range(0, 5).Select(_ => Acquire(core.Throttle, "bulk", null, CancellationToken.None)).ToList();
        await Signals.SettleAsync();
        Assert.Equal(3, leases.Count(l => l.IsCompleted));

        core.FakeTime.Advance(TimeSpan.FromMilliseconds(100));
        await Signals.UntilAsync(() => leases.Count(l => l.IsCompleted) == 4);
        await Signals.SettleAsync();
        Assert.Equal(4, leases.Count(l => l.IsCompleted));
    }
}
