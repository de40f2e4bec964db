using System.Collections.Immutable;

namespace Pipeline.Throttling;

/// <summary>The shared throttle at one instant: what is configured and what it achieves.</summary>
/// <param name="Policy">The rate policy in force.</param>
/// <param name="Limit">Calls allowed per <paramref name="Window"/>.</param>
/// <param name="Window">The rate window.</param>
/// <param name="StartedInWindow">Calls started in the last window: the achieved rate.</param>
/// <param name="QueueLength">Calls waiting for a rate permit.</param>
/// <param name="Lanes">Every lane used so far or configured.</param>
public sealed record ThrottleSnapshot(
    ThrottlePolicy Policy,
    int Limit,
    TimeSpan Window,
    int StartedInWindow,
    int QueueLength,
    ImmutableArray<LaneSnapshot> Lanes)
{
    /// <summary>Configured rate, calls per second.</summary>
    public double ConfiguredRate => Limit / Window.TotalSeconds;

    /// <summary>Achieved rate over the last window, calls per second.</summary>
    public double AchievedRate => StartedInWindow / Window.TotalSeconds;
}
