using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

public sealed class ThrottleOptionsValidatorTests
{
    private readonly ThrottleOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.True(_validator.Validate(null, new ThrottleOptions()).Succeeded);

    [Fact]
    public void Validate_OutOfRangeValues_EachFailureNamesKeyAndValue()
    {
        var options = new ThrottleOptions { Limit = 0, QueueLimit = -1, Window = TimeSpan.Zero };
        options.Lanes["spotify"] = 0;

        var failures = _validator.Validate(null, options).Failures!;

        Assert.Contains(failures, f => f.StartsWith("Pipeline:Throttle:Limit = 0:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Pipeline:Throttle:QueueLimit = -1:", StringComparison.Ordinal));
        Assert.Contains("Pipeline:Throttle:Window = 00:00:00 must be greater than 0 and at most 01:00:00.", failures);
        Assert.Contains("Pipeline:Throttle:Lanes:spotify = 0 must be at least 1.", failures);
    }

    [Fact]
    public void Validate_BurstWithSlidingWindow_Fails()
    {
        var failures = _validator.Validate(null, new ThrottleOptions { Burst = 10 }).Failures!;

        Assert.Contains("Pipeline:Throttle:Burst = 10 applies only to Pipeline:Throttle:Policy = TokenBucket (it is SlidingWindow).", failures);
    }

    [Fact]
    public void Validate_LaneWindowWithoutRateOrOutOfRange_FailsNamingTheKey()
    {
        var options = new ThrottleOptions();
        options.LaneRates["lastfm"] = 25;
        options.LaneWindows["lastfm"] = TimeSpan.Zero;
        options.LaneWindows["deezer"] = TimeSpan.FromSeconds(5);

        var failures = _validator.Validate(null, options).Failures!;

        Assert.Contains("Pipeline:Throttle:LaneWindows:lastfm = 00:00:00 must be more than 0 and at most 1 hour.", failures);
        Assert.Contains("Pipeline:Throttle:LaneWindows:deezer = 00:00:05 has no Pipeline:Throttle:LaneRates:deezer to count over it.", failures);
    }

    [Fact]
    public void Validate_LaneSpacingWithoutRateOrBeyondItsWindow_FailsNamingTheKey()
    {
        var options = new ThrottleOptions();
        options.LaneRates["lastfm"] = 25;
        options.LaneWindows["lastfm"] = TimeSpan.FromSeconds(5);
        options.LaneSpacing["lastfm"] = TimeSpan.FromSeconds(6);
        options.LaneSpacing["deezer"] = TimeSpan.FromMilliseconds(100);

        var failures = _validator.Validate(null, options).Failures!;

        Assert.Contains("Pipeline:Throttle:LaneSpacing:lastfm = 00:00:06 must be at least 0 and at most the lane's window (00:00:05).", failures);
        Assert.Contains("Pipeline:Throttle:LaneSpacing:deezer = 00:00:00.1000000 has no Pipeline:Throttle:LaneRates:deezer to pace.", failures);
    }
}
