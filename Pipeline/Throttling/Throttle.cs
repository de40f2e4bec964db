using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pipeline.Configuration;
using Pipeline.Jobs;

namespace Pipeline.Throttling;

/// <summary>
/// The one gate every upstream call passes: a job's call budget, then a permit of the lane's own rate where it has one
/// (an upstream's quota), then a slot of the upstream's lane, then a permit of the global rate limit, taken only
/// when the call can start at once. Waiters are served FIFO within a job and round-robin across jobs, a job's first
/// calls ahead, at the lane and at both rate limits.
/// </summary>
public sealed partial class Throttle : IDisposable
{
    private const string SystemPartition = "";

    /// <summary>The global rate's name in a shared store.</summary>
    private const string GlobalRate = "global";

    // The lane slots held by the current async flow, so a nested call on the same lane borrows instead of deadlocking.
    private static readonly AsyncLocal<LaneScope?> HeldLanes = new();

    private readonly ConcurrentDictionary<string, LaneGate> _lanes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, FairRateLimiter> _laneRates = new(StringComparer.OrdinalIgnoreCase);
    private readonly FairRateLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ThrottleMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ReloadableOptions<ThrottleOptions> _reloadable;
    private readonly ThrottlePolicy _policy;
    private readonly IStartReservations? _shared;
    private readonly ISharedLanes? _sharedLanes;
    private ThrottleOptions _options;

    /// <summary>
    /// A throttle that follows its configuration: limit, window, burst, queue and lane limits change live. With
    /// <paramref name="shared"/>, the global rate and the lanes' rates are kept with the other hosts' in that store;
    /// with <paramref name="sharedLanes"/>, the lanes' slots and pauses.
    /// </summary>
    internal Throttle(ReloadableOptions<ThrottleOptions> options, TimeProvider time, ThrottleMetrics metrics, ILogger logger, IStartReservations? shared = null, ISharedLanes? sharedLanes = null)
    {
        _shared = shared;
        _sharedLanes = sharedLanes;
        _reloadable = options;
        _options = options.Current;
        _policy = _options.Policy;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _limiter = _options.Policy switch
        {
            _ when shared is not null => Shared(GlobalRate, _options.Limit, _options.Window, _options.Window / _options.Limit),
            ThrottlePolicy.SlidingWindow => new SlidingLogRateLimiter(time, _options.Limit, _options.Spaced(_options.Window), _options.QueueLimit),
            ThrottlePolicy.TokenBucket => new TokenBucketLimiter(time, _options.Limit, _options.Spaced(_options.Window), _options.Burst ?? _options.Limit, _options.QueueLimit),
            _ => throw new ArgumentOutOfRangeException(nameof(options), _options.Policy, "Unknown throttle policy."),
        };
        foreach (var lane in _options.Lanes.Keys)
        {
            Lane(lane);
        }

        SetLaneRates(_options);
        metrics.Observe(GetSnapshot);
        options.Changed += Reconfigure;
        if (sharedLanes is not null)
        {
            sharedLanes.Paused += PausedElsewhere;
        }
    }

    /// <summary>
    /// Waits until a call on <paramref name="lane"/> may start. Dispose the lease when the call, and any stream it
    /// returned, is finished. A refusal (budget, full queue) is a lease with <see cref="ThrottleLease.IsAcquired"/>
    /// false; only cancellation throws. A call made while the same async flow holds a lease on <paramref name="lane"/>
    /// is nested: it borrows that slot (nested calls take turns on it) instead of waiting for another, so nesting
    /// deeper than the lane's size cannot deadlock. Calls from separate flows never borrow.
    /// </summary>
    /// <param name="lane">The upstream's lane.</param>
    /// <param name="job">The job paying for the call; null for calls outside any job (no budget, own queue).</param>
    /// <param name="cancellationToken">Cancels the wait; the call then leaves every queue and takes nothing.</param>
    /// <returns>The lease.</returns>
    public ValueTask<ThrottleLease> AcquireAsync(string lane, JobContext? job, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(lane);
        var parent = HeldLanes.Value;
        var holder = parent?.FindHeld(lane);
        var scope = new LaneScope(lane, parent);
        // Set here, outside the async state machine, so the caller's flow sees it and calls nested under the
        // lease find it. The lease's Dispose restores the parent.
        HeldLanes.Value = scope;
        return AcquireCoreAsync(scope, holder, lane, job, cancellationToken);
    }

    /// <summary>An upstream answered 429/503 with Retry-After: no call on <paramref name="lane"/> starts before it elapses.</summary>
    /// <param name="lane">The upstream.</param>
    /// <param name="retryAfter">The upstream's Retry-After.</param>
    public void PauseLane(string lane, TimeSpan retryAfter)
    {
        if (retryAfter <= TimeSpan.Zero)
        {
            return;
        }

        Lane(lane).Pause(retryAfter);
        _metrics.Paused(lane);
        _sharedLanes?.Pause(lane, retryAfter);
    }

    /// <summary>The throttle now: configured limit, starts in the last window, queues and lanes.</summary>
    /// <returns>An immutable snapshot.</returns>
    public ThrottleSnapshot GetSnapshot() => new(
        _policy,
        _options.Limit,
        _options.Window,
        _limiter.StartedInWindow,
        _limiter.QueuedCount,
        [.. _lanes.Values.Select(l => l.Snapshot()).OrderBy(l => l.Lane, StringComparer.Ordinal)]);

    /// <summary>
    /// How long a call queued now would wait for its permit, as the queues stand: the calls waiting for the global
    /// limit at its rate, and for each lane with a rate of its own, the calls waiting for it at that rate (and its
    /// spacing) after any pause; the longest of these.
    /// </summary>
    /// <returns>The estimate; zero when nothing waits.</returns>
    public TimeSpan EstimateWait()
    {
        var longest = Drain(_limiter, TimeSpan.Zero);
        foreach (var gate in _lanes.Values)
        {
            var pause = gate.PauseRemaining();
            var wait = pause > TimeSpan.Zero ? pause : TimeSpan.Zero;
            if (_laneRates.TryGetValue(gate.Name, out var limiter))
            {
                wait += Drain(limiter, Volatile.Read(ref _options).SpacingOf(gate.Name));
            }

            longest = wait > longest ? wait : longest;
        }

        return longest;

        static TimeSpan Drain(FairRateLimiter limiter, TimeSpan spacing)
        {
            var each = TimeSpan.FromSeconds(1 / limiter.PermitsPerSecond);
            return (each > spacing ? each : spacing) * limiter.QueuedCount;
        }
    }

    /// <summary>Refuses every waiting call.</summary>
    public void Dispose()
    {
        _reloadable.Changed -= Reconfigure;
        if (_sharedLanes is not null)
        {
            _sharedLanes.Paused -= PausedElsewhere;
        }

        foreach (var laneRate in _laneRates.Values)
        {
            laneRate.Dispose();
        }

        _limiter.Dispose();
    }

    // A new configuration: the rate limiter and every lane take it at once; waiters are served under it.
    private void Reconfigure(ThrottleOptions next)
    {
        _limiter.Reconfigure(next.Limit, next.Spaced(next.Window), next.Burst ?? next.Limit, next.QueueLimit, _shared is null ? TimeSpan.Zero : next.Window / next.Limit);
        Volatile.Write(ref _options, next);
        foreach (var lane in _lanes.Values)
        {
            lane.SetLimit(next.LaneLimit(lane.Name), next.QueueLimit);
        }

        foreach (var lane in next.Lanes.Keys)
        {
            Lane(lane);
        }

        SetLaneRates(next);

        if (next.Policy != _policy)
        {
            LogPolicyAtRestart(_logger, next.Policy, _policy);
        }
    }

    // Lanes with a rate of their own: new ones made, changed ones reconfigured live, dropped ones left unlimited.
    private void SetLaneRates(ThrottleOptions options)
    {
        foreach (var (lane, rate) in options.LaneRates)
        {
            var window = options.Spaced(options.LaneWindow(lane));
            var spacing = options.SpacingOf(lane);
            if (_laneRates.TryGetValue(lane, out var limiter))
            {
                limiter.Reconfigure(rate, window, rate, options.QueueLimit, spacing);
            }
            else
            {
                _laneRates[lane] = _shared is null
                    ? new SlidingLogRateLimiter(_time, rate, window, options.QueueLimit, spacing)
                    : Shared("lane:" + lane.ToLowerInvariant(), rate, options.LaneWindow(lane), spacing);
            }
        }

        foreach (var lane in _laneRates.Keys.Where(l => !options.LaneRates.ContainsKey(l)))
        {
            if (_laneRates.TryRemove(lane, out var dropped))
            {
                dropped.Dispose(); // its waiters are refused and retried by their callers' resilience
            }
        }
    }

    // A rate kept with the other hosts'. The global one is paced evenly (a window over its limit apart): a burst of
    // starts reaches the upstream spread by the hosts' connections and its own scheduling, and a spread burst beside the
    // next window's would count more than the limit there.
    private SharedRateLimiter Shared(string name, int limit, TimeSpan window, TimeSpan spacing) =>
        new(_shared!, name, _time, limit, _options.Spaced(window), _options.QueueLimit, spacing, _options.SafetyMargin);

    // Another host's upstream answered 429/503: this host's calls on the lane wait it out too.
    private void PausedElsewhere(string lane, TimeSpan retryAfter)
    {
        if (retryAfter > TimeSpan.Zero)
        {
            Lane(lane).Pause(retryAfter);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Throttle policy {Next} takes effect at the next start; {Current} stays in force until then")]
    private static partial void LogPolicyAtRestart(ILogger logger, ThrottlePolicy next, ThrottlePolicy current);

    private LaneGate Lane(string lane) =>
        _lanes.TryGetValue(lane, out var gate) ? gate : _lanes.GetOrAdd(lane, static (name, self) =>
        {
            self._metrics.LaneAdded(name);
            return new LaneGate(name, self._options.LaneLimit(name), self._options.QueueLimit, self._time);
        }, this);

    private async ValueTask<ThrottleLease> AcquireCoreAsync(LaneScope scope, LaneScope? holder, string lane, JobContext? job, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var gate = Lane(lane);
        var partition = job?.Id ?? SystemPartition;
        if (job is not null && !job.Budget.TryTake())
        {
            return Refuse(scope, lane, ThrottleRejectionReason.BudgetExhausted, null);
        }

        // A job's first calls wait ahead of other jobs' later ones, the job that has asked for the fewest calls so far
        // first (FairQueue): a short job is not slowed by a long one.
        var ahead = job is not null && job.Budget.Used <= Volatile.Read(ref _options).AheadCalls ? job.Budget.Asked : null;

        var slot = SlotKind.None;
        IDisposable? sharedSlot = null;
        ThrottleRateLease? granted = null;
        (FairRateLimiter Limiter, ThrottleRateLease Lease)? laneGranted = null;
        try
        {
            // A global permit is taken only once the call holds its slot: one burnt while waiting for a slot is rate
            // lost for good, to every lane. A lane's own rate comes before its slot, so the slots are held by calls
            // about to start and the lane's fair queue, not slot order, decides which job's call goes next; a permit
            // waiting for a slot costs only this lane, which is then bound by its slots anyway.
            if (holder is not null)
            {
                await holder.Children.WaitAsync(cancellationToken);
                slot = SlotKind.Borrowed;
            }

            while (true)
            {
                for (var pause = gate.PauseRemaining(); pause > TimeSpan.Zero; pause = gate.PauseRemaining())
                {
                    await Task.Delay(pause, _time, cancellationToken);
                }

                if (_laneRates.TryGetValue(lane, out var laneRate))
                {
                    using var lanePermit = (ThrottleRateLease)await laneRate.AcquireAsync(partition, 1, cancellationToken, ahead);
                    if (!lanePermit.IsAcquired)
                    {
                        ReleaseSlot(scope, holder, gate, slot, sharedSlot);
                        job?.Budget.Refund();
                        return Refuse(scope, lane, lanePermit.Reason, lanePermit.RetryAfter);
                    }

                    laneGranted = (laneRate, lanePermit);
                }

                if (slot == SlotKind.None)
                {
                    if (!await gate.AcquireAsync(partition, ahead, cancellationToken))
                    {
                        job?.Budget.Refund();
                        return Refuse(scope, lane, ThrottleRejectionReason.QueueFull, _options.Window);
                    }

                    slot = SlotKind.Own;
                    if (_sharedLanes is not null)
                    {
                        // The other hosts' calls hold the lane's slots too: this call's slot is a lease they see.
                        sharedSlot = await _sharedLanes.TakeSlotAsync(lane, gate.Limit, cancellationToken);
                    }
                }

                using var permit = await _limiter.AcquireAsync(partition, 1, cancellationToken, ahead);
                granted = (ThrottleRateLease)permit;
                if (permit is ThrottleRateLease { IsAcquired: false } refused)
                {
                    ReleaseSlot(scope, holder, gate, slot, sharedSlot);
                    job?.Budget.Refund();
                    return Refuse(scope, lane, refused.Reason, refused.RetryAfter);
                }

                // A pause set while this call waited for its permit still holds: the permit is spent, the call waits.
                if (gate.PauseRemaining() <= TimeSpan.Zero)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            ReleaseSlot(scope, holder, gate, slot, sharedSlot);
            job?.Budget.Refund();
            throw;
        }

        var waited = _time.GetElapsedTime(started);
        _metrics.Granted(lane, waited);
        scope.Held = true;
        var sequence = granted!;
        return new ThrottleLease(lane, waited, _ => Release(scope, holder, gate, slot, sharedSlot), () =>
        {
            var sentAt = _time.GetTimestamp();
            _limiter.Restamp(sequence, sentAt);
            laneGranted?.Limiter.Restamp(laneGranted.Value.Lease, sentAt);
        });
    }

    private ThrottleLease Refuse(LaneScope scope, string lane, ThrottleRejectionReason reason, TimeSpan? retryAfter)
    {
        _metrics.Rejected(lane, reason);
        return new ThrottleLease(lane, reason, retryAfter, _ => Leave(scope));
    }

    // Only the flow that entered the scope leaves it; a lease disposed elsewhere must not rewrite that flow.
    private static void Leave(LaneScope scope)
    {
        if (HeldLanes.Value == scope)
        {
            HeldLanes.Value = scope.Parent;
        }
    }

    private static void Release(LaneScope scope, LaneScope? holder, LaneGate gate, SlotKind slot, IDisposable? sharedSlot)
    {
        Leave(scope);
        ReleaseSlot(scope, holder, gate, slot, sharedSlot);
    }

    private static void ReleaseSlot(LaneScope scope, LaneScope? holder, LaneGate gate, SlotKind slot, IDisposable? sharedSlot)
    {
        scope.Held = false;
        sharedSlot?.Dispose();
        switch (slot)
        {
            case SlotKind.Own:
                gate.Release();
                break;
            case SlotKind.Borrowed:
                holder!.Children.Release();
                break;
        }
    }

    private enum SlotKind
    {
        None,
        Own,
        Borrowed,
    }

    /// <summary>A lane slot held (or being acquired) by one async flow; nested calls on its lane take turns on it.</summary>
    private sealed class LaneScope(string lane, LaneScope? parent)
    {
        private SemaphoreSlim? _children;

        public LaneScope? Parent { get; } = parent;

        public bool Held { get; set; }

        /// <summary>Nested calls borrow the slot one at a time, FIFO.</summary>
        public SemaphoreSlim Children => LazyInitializer.EnsureInitialized(ref _children, static () => new SemaphoreSlim(1, 1));

        public LaneScope? FindHeld(string name)
        {
            for (var s = this; s is not null; s = s.Parent)
            {
                if (s.Held && string.Equals(s.Lane, name, StringComparison.OrdinalIgnoreCase))
                {
                    return s;
                }
            }

            return null;
        }

        public string Lane { get; } = lane;
    }
}
