using System.ComponentModel.DataAnnotations;

namespace Pipeline.Throttling;

/// <summary>The shared throttle: one rate limit for every upstream call, and per-upstream concurrency lanes.</summary>
public sealed class ThrottleOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Throttle";

    /// <summary>How call starts are spaced. Default <see cref="ThrottlePolicy.SlidingWindow"/>.</summary>
    public ThrottlePolicy Policy { get; set; } = ThrottlePolicy.SlidingWindow;

    /// <summary>Calls allowed to start per <see cref="Window"/>. Default 40.</summary>
    [Range(1, 1_000_000)]
    public int Limit { get; set; } = 40;

    /// <summary>The rate window. Default 1 second.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Extra spacing added to <see cref="Window"/> when starts are spaced, so the upstream, which sees each request a
    /// little after its permit, still never counts more than <see cref="Limit"/> in any window. Default 10 ms (≥ 99% of
    /// the rate at a 1 s window).
    /// </summary>
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Token-bucket capacity (only with <see cref="ThrottlePolicy.TokenBucket"/>); defaults to <see cref="Limit"/>.</summary>
    [Range(1, 1_000_000)]
    public int? Burst { get; set; }

    /// <summary>Calls that may wait for a permit, and for each lane's slots; beyond it calls are refused. Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int QueueLimit { get; set; } = 10_000;

    /// <summary>Concurrent calls per upstream lane; the code that registers an upstream adds its default here, which configuration overrides.</summary>
    public Dictionary<string, int> Lanes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Calls per <see cref="Window"/> a lane may start, under the global <see cref="Limit"/>: an upstream's own quota
    /// (e.g. 5/s), so its calls are spaced under it, taken round-robin across jobs, instead of bouncing off it with
    /// 429 and a pause for everyone. A lane not listed has no rate of its own.
    /// </summary>
    public Dictionary<string, int> LaneRates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The window a lane's <see cref="LaneRates"/> count over, where it is not <see cref="Window"/>: an upstream that
    /// allows 25 calls per 5 s takes 25 at once and the next 25 five seconds later, unless
    /// <see cref="LaneSpacing"/> paces them.
    /// </summary>
    public Dictionary<string, TimeSpan> LaneWindows { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The least time between two starts of a lane with a <see cref="LaneRates"/> entry, on top of its rate: 25 per 5 s
    /// spaced 200 ms apart runs at the upstream's full quota, yet evenly, so a job that arrives beside a long one waits
    /// one step for its turn, not for the window the long one has just filled. The upstream only ever sees the rate;
    /// the safety margin widens the window once, not every step. A lane not listed is not spaced.
    /// </summary>
    public Dictionary<string, TimeSpan> LaneSpacing { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The spacing of <paramref name="lane"/>'s starts: its <see cref="LaneSpacing"/>, else zero.</summary>
    internal TimeSpan SpacingOf(string lane) => LaneSpacing.TryGetValue(lane, out var spacing) ? spacing : TimeSpan.Zero;

    /// <summary>How far apart starts are spaced for a rate counted over <paramref name="window"/>: the window plus <see cref="SafetyMargin"/>.</summary>
    internal TimeSpan Spaced(TimeSpan window) => window + SafetyMargin;

    /// <summary>The window <paramref name="lane"/>'s rate counts over.</summary>
    /// <param name="lane">A lane name.</param>
    /// <returns>Its configured window, else <see cref="Window"/>.</returns>
    public TimeSpan LaneWindow(string lane) => LaneWindows.TryGetValue(lane, out var window) ? window : Window;

    /// <summary>
    /// A job's first calls, counted from its budget, that wait ahead of other jobs' later calls at every queue of the
    /// throttle: a short job beside a long one runs at nearly its own speed, and the long one yields at most this many
    /// calls to each job that starts beside it. 0 turns it off (plain round-robin). Default 32.
    /// </summary>
    [Range(0, 1_000_000)]
    public int AheadCalls { get; set; } = 32;

    /// <summary>Concurrent calls for a lane not listed in <see cref="Lanes"/>. Default 3.</summary>
    [Range(1, 100_000)]
    public int DefaultLaneLimit { get; set; } = 3;

    /// <summary>The concurrency limit of <paramref name="lane"/>.</summary>
    /// <param name="lane">A lane name.</param>
    /// <returns>The configured limit, else <see cref="DefaultLaneLimit"/>.</returns>
    public int LaneLimit(string lane) => Lanes.TryGetValue(lane, out var limit) ? limit : DefaultLaneLimit;
}
