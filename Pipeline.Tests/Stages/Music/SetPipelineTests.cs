using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Events;
using Pipeline.Stages.Llm;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;
using Pipeline.Stages.Upstreams;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Music;

/// <summary>Whole jobs on real sockets: run alone, so other test classes' CPU load does not distort the upstream's view.</summary>
[Collection(nameof(SerialTests))]
public sealed class SetPipelineTests
{
    private static readonly string[] TrackUpstreams = ["spotify", "deezer", "lastfm"];
    private static readonly string[] AllUpstreams = ["spotify", "deezer", "lastfm", "anthropic"];

    // The upstream counts arrivals, which trail sends by network and server-side jitter: the margin absorbs it.
    private static readonly Dictionary<string, string?> Throttle20 = new() { ["Pipeline:Throttle:Limit"] = "20", ["Pipeline:Throttle:SafetyMargin"] = "00:00:00.100" };

    private static async Task<(JobOutcome Outcome, RecordingSink Events)> RunAsync(UpstreamHarness upstreams, SetRequest request)
    {
        var sink = new RecordingSink();
        var job = upstreams.Jobs.Start(sink);
        var outcome = await upstreams.Get<SetPipeline>().RunAsync(job, request).Within();
        return (outcome, sink);
    }

    [Fact]
    public async Task RunAsync_HouseSet_TracksFoundEnrichedThenStreamedSetAndOneTerminalEvent()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("a 124 BPM sunset house set", TrackCount: 12));

        var events = sink.Events.ToList();
        Assert.Equal(JobOutcome.Completed, outcome);
        Assert.IsType<IntentParsed>(events[0]);
        var found = events.OfType<TrackFound>().Count();
        Assert.Equal(new SetPipelineOptions().PoolSize(12), found); // a pool to choose the set from
        var enriched = events.OfType<TrackEnriched>().Select(e => e.Track).ToList();
        Assert.Equal(found, enriched.Count);
        Assert.All(enriched, t => Assert.NotNull(t.Bpm));
        Assert.All(enriched, t => Assert.NotNull(t.Camelot));
        Assert.All(enriched, t => Assert.NotEmpty(t.Tags));
        Assert.True(events.OfType<LlmDelta>().Count() > 20);
        var completed = Assert.Single(events.OfType<LlmCompleted>());
        Assert.Equal(string.Concat(events.OfType<LlmDelta>().Select(d => d.Text)), completed.Text);
        var set = Assert.Single(events.OfType<SetCompleted>()).Set;
        Assert.Equal(12, set.Tracks.Count);
        Assert.All(set.Tracks, t => Assert.Contains(t.Title.Replace('|', '/'), completed.Text, StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, 12), set.Tracks.Select(t => t.Position));
        Assert.All(set.Tracks.SkipLast(1), t => Assert.NotNull(t.Transition!.Note)); // the model's notes, checked and kept
        Assert.IsType<SetCompleted>(events[^3]);
        var final = Assert.IsType<StageProgress>(events[^2]).Stages; // the final counts, every item through
        Assert.Equal((1L, 1L, 1L), (final[SequencingWork.Stage].Passed, final[LlmWork.Stage].Passed, final[SetPipeline.SetStage].Passed));
        var terminal = Assert.IsType<JobEnded>(events[^1]);
        Assert.Equal("job.completed", terminal.Type);
        Assert.Single(events.OfType<JobEnded>());
        Assert.Empty(events.OfType<ItemFailed>());
    }

    [Fact]
    public async Task RunAsync_SlowSpotify_EnrichmentStartsBeforeAudioFeaturesAnswerAndTheHalvesJoin()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(
            new Dictionary<string, string?> { ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:00.500", ["Pipeline:Sandbox:Spotify:P95Latency"] = "00:00:00.500" },
            Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("deep house for a sunset", TrackCount: 8));

        Assert.Equal(JobOutcome.Completed, outcome);
        var features = upstreams.Requests("spotify").Where(r => r.Path.Contains("/audio-features", StringComparison.Ordinal)).MinBy(r => r.Finished)!;
        var firstLastFm = upstreams.Requests("lastfm").Min(r => r.At);
        Assert.True(firstLastFm < features.Finished, $"first Last.fm call at {firstLastFm:O}, after audio features answered at {features.Finished:O}");
        var enriched = sink.Events.OfType<TrackEnriched>().Select(e => e.Track).ToList();
        Assert.Equal(sink.Events.OfType<TrackFound>().Count(), enriched.Count);
        Assert.Equal(enriched.Count, enriched.DistinctBy(t => t.Index).Count());
        Assert.All(enriched, t => Assert.Equal("spotify", t.BpmSource)); // Spotify's half wins the BPM
        Assert.All(enriched, t => Assert.NotNull(t.Camelot));
        Assert.All(enriched, t => Assert.NotEmpty(t.Tags)); // and the enrichment half's tags are kept
        Assert.All(enriched, t => Assert.NotNull(t.Gain));
    }

    [Fact]
    public async Task RunAsync_TempoAsked_EnrichmentStartsWhileSearchStillGathersAndScreens()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("a 124 BPM sunset house set", TrackCount: 30));

        // Search screens its sources by tempo as their pages come in: the first tracks go on to enrichment (Deezer is
        // enrichment's alone) while later pages are still being fetched and screened.
        Assert.Equal(JobOutcome.Completed, outcome);
        var firstDeezer = upstreams.Requests("deezer").Min(r => r.At);
        var spotify = upstreams.Requests("spotify");
        var lastPage = spotify.Where(r => r.Path.Contains("/search", StringComparison.Ordinal)).Max(r => r.At);
        var lastScreen = spotify.Where(r => r.Path.Contains("/audio-features", StringComparison.Ordinal)).Max(r => r.At);
        Assert.True(firstDeezer < lastPage, $"first Deezer call at {firstDeezer:O}, after the last search page at {lastPage:O}");
        Assert.True(firstDeezer < lastScreen, $"first Deezer call at {firstDeezer:O}, after the last tempo screen at {lastScreen:O}");
        Assert.Equal(new SetPipelineOptions().PoolSize(30), sink.Events.OfType<TrackFound>().Count());
    }

    [Fact]
    public async Task AudioFeatures_TwoJobsInOneBatch_TheirCallsGoOutSideBySide()
    {
        // Search reads the features of the tracks it finds; the stage asks for those it could not, a call per job.
        await using var upstreams = await UpstreamHarness.StartAsync(
            new Dictionary<string, string?> { ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:00.500", ["Pipeline:Sandbox:Spotify:P95Latency"] = "00:00:00.500" },
            Throttle20);
        var spotify = upstreams.Get<SpotifyClient>();
        var jobs = new[] { upstreams.Jobs.Start(new RecordingSink()), upstreams.Jobs.Start(new RecordingSink()) };
        var batch = new List<StageItem<Track>>();
        foreach (var (job, query) in jobs.Zip(["house", "folk"]))
        {
            var page = await spotify.SearchTracksAsync(query, 6, 0, job, CancellationToken.None).Within();
            batch.AddRange(page.Items.Select((t, i) => new StageItem<Track>(job, new Track(t.Id, t.Name, t.Artists, t.Album, t.ReleaseDate, t.DurationMs, t.Isrc, i + 1))));
        }

        var results = await upstreams.Get<AudioFeaturesWork>().RunAsync([.. batch.OrderBy(i => i.Value.Index)], CancellationToken.None).AsTask().Within();

        Assert.Equal(12, results.Count);
        Assert.All(results, r => Assert.Equal("spotify", r.Value!.BpmSource));
        var features = upstreams.Requests("spotify").Where(r => r.Path.Contains("/audio-features", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, features.Count); // one call per job
        Assert.Equal(2, MaxOverlap(features)); // each job's call waits its own turn, not behind the other's
    }

    [Fact]
    public async Task RunAsync_Sandbox_NoUpstreamSeesMoreThanTheLimitInAnySlidingSecondNorALaneOverItsSize()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: Throttle20);

        await RunAsync(upstreams, new SetRequest("big room party", TrackCount: 20));

        var all = AllUpstreams.SelectMany(upstreams.Requests).ToList();
        var max = SlidingWindows.MaxInAnyWindow(all.Select(r => r.At.UtcTicks), TimeSpan.TicksPerSecond);
        Assert.True(max <= 20, $"{max} requests in one sliding second; limit 20");
        Assert.True(all.Count > 40, $"{all.Count} requests");
        foreach (var (lane, size) in new[] { ("deezer", 10), ("lastfm", 10), ("spotify", 5) })
        {
            var overlap = MaxOverlap(upstreams.Requests(lane));
            Assert.True(overlap <= size, $"{lane}: {overlap} requests at once; lane size {size}");
        }
    }

    [Fact]
    public async Task RunAsync_FortyTracks_SearchPagesFetchedTogether()
    {
        // Each page takes 50 ms: pages fetched together overlap, and pages fetched in turn cannot, however fast the
        // sandbox answers (with no latency, a page can finish before the next one, sent at the same time, arrives).
        var pageLatency = new Dictionary<string, string?>
        {
            ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:00.050",
            ["Pipeline:Sandbox:Spotify:P95Latency"] = "00:00:00.050",
        };
        await using var upstreams = await UpstreamHarness.StartAsync(sandboxSettings: pageLatency); // unthrottled: a 160-track pool in seconds

        var (_, sink) = await RunAsync(upstreams, new SetRequest("deep house for a sunset", TrackCount: 40));

        var pages = upstreams.Requests("spotify").Where(r => r.Path.Contains("/search", StringComparison.Ordinal)).ToList();
        Assert.True(pages.Count >= 4, $"{pages.Count} search pages");
        Assert.True(MaxOverlap(pages) > 1, "search pages were fetched one after another");
        var found = sink.Events.OfType<TrackFound>().Select(f => f.Track).ToList();
        Assert.Equal(Enumerable.Range(1, found.Count), found.Select(t => t.Index));
        Assert.Equal(found.Count, found.Select(t => t.Id).Distinct().Count());
        Assert.Equal(40, Assert.Single(sink.Events.OfType<SetCompleted>()).Set.Tracks.Count);
    }

    [Fact]
    public async Task RunAsync_SameJobTwice_SecondMakesNoTrackCalls()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: Throttle20);
        var request = new SetRequest("deep house for a sunset", TrackCount: 10);
        await RunAsync(upstreams, request);
        var before = TrackUpstreams.Sum(l => upstreams.Requests(l).Count);

        var (outcome, sink) = await RunAsync(upstreams, request);

        Assert.Equal(JobOutcome.Completed, outcome);
        Assert.True(sink.Events.OfType<TrackEnriched>().Count() >= 10);
        Assert.Equal(10, Assert.Single(sink.Events.OfType<SetCompleted>()).Set.Tracks.Count);
        Assert.Equal(before, TrackUpstreams.Sum(l => upstreams.Requests(l).Count));
        Assert.Equal(2, upstreams.Requests("anthropic").Count);
    }

    [Fact]
    public async Task RunAsync_SpotifyFeaturesClosed_DeezerBpmFallbackUsed()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(
            new Dictionary<string, string?> { ["Pipeline:Sandbox:SpotifyAudioFeaturesForbidden"] = "true", ["Pipeline:Sandbox:DeezerBpmMissingRate"] = "0" },
            Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("rock road trip", TrackCount: 8));

        Assert.Equal(JobOutcome.Completed, outcome);
        var tracks = sink.Events.OfType<TrackEnriched>().Select(e => e.Track).ToList();
        Assert.True(tracks.Count >= 8);
        Assert.Equal(8, Assert.Single(sink.Events.OfType<SetCompleted>()).Set.Tracks.Count);
        Assert.All(tracks, t => Assert.Equal(("deezer", (string?)null), (t.BpmSource, t.Camelot)));
        Assert.All(tracks, t => Assert.InRange(t.Bpm!.Value, 30, 250));
        var features = upstreams.Requests("spotify").Where(r => r.Path.Contains("/audio-features", StringComparison.Ordinal)).ToList();
        Assert.All(features, r => Assert.Equal(403, r.Status));
        Assert.InRange(features.Count, 1, 8); // the batches already in flight when the first 403 came back; none after
        Assert.DoesNotContain(sink.Events.OfType<ItemFailed>(), f => f.Upstream == SpotifyClient.Lane); // a closed endpoint is expected, not a failure
    }

    [Fact]
    public async Task RunAsync_DeezerDown_ItemFailedEventsAndTheJobStillCompletes()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:Deezer:ErrorRate"] = "1" }, Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("latin pop", TrackCount: 5));

        Assert.Equal(JobOutcome.Completed, outcome);
        var failures = sink.Events.OfType<ItemFailed>().ToList();
        Assert.NotEmpty(failures);
        Assert.All(failures, f => Assert.Equal("deezer", f.Upstream));
        Assert.All(failures, f => Assert.Contains(f.Reason, (string[])["upstream_5xx", "circuit_open"])); // after a run of 5xx the breaker opens
        Assert.Equal(sink.Events.OfType<TrackFound>().Count(), sink.Events.OfType<TrackEnriched>().Count());
        Assert.All(sink.Events.OfType<TrackEnriched>(), e => Assert.Null(e.Track.Gain));
        Assert.Equal(5, Assert.Single(sink.Events.OfType<SetCompleted>()).Set.Tracks.Count);
    }

    [Theory]
    [InlineData("Anthropic")]
    [InlineData("OpenAi")]
    public async Task RunAsync_ModelStreamCutOff_TheSetStillComesOutWithoutNotes(string provider)
    {
        await using var upstreams = await UpstreamHarness.StartAsync(
            new Dictionary<string, string?> { [$"Pipeline:Sandbox:{provider}:MalformedRate"] = "1" },
            new Dictionary<string, string?>(Throttle20) { ["Pipeline:Llm:Provider"] = provider });

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("edm", TrackCount: 4));

        Assert.Equal(JobOutcome.Completed, outcome);
        Assert.NotEmpty(sink.Events.OfType<LlmDelta>());
        Assert.Empty(sink.Events.OfType<LlmCompleted>());
        Assert.Contains(sink.Events.OfType<ItemFailed>(), f => f.Stage == "llm" && f.Reason == "llm_stream_cut");
        var set = Assert.Single(sink.Events.OfType<SetCompleted>()).Set;
        Assert.Equal(4, set.Tracks.Count);
        Assert.All(set.Tracks, t => Assert.Null(t.Transition?.Note));
        Assert.Contains("stream_cut", set.Review, StringComparison.Ordinal);
        Assert.IsType<JobEnded>(sink.Events.Last());
    }

    [Fact]
    public async Task RunAsync_LastFmSendsBrokenJson_ItemFailedMalformedAndTheJobCompletes()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:LastFm:MalformedRate"] = "1" }, Throttle20);

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("neo soul", TrackCount: 4));

        Assert.Equal(JobOutcome.Completed, outcome);
        Assert.Contains(sink.Events.OfType<ItemFailed>(), f => (f.Upstream, f.Reason) == ("lastfm", "malformed"));
        Assert.All(sink.Events.OfType<TrackEnriched>(), e => Assert.Empty(e.Track.Tags));
        Assert.Equal(sink.Events.OfType<TrackFound>().Count(), sink.Events.OfType<TrackEnriched>().Count());
        Assert.Equal(4, Assert.Single(sink.Events.OfType<SetCompleted>()).Set.Tracks.Count);
    }

    [Fact]
    public async Task RunAsync_BudgetTooSmall_JobGoesOnWithWhatItHas()
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?> { ["Pipeline:Throttle:Limit"] = "50", ["Pipeline:Jobs:CallBudget"] = "8" });

        var (outcome, sink) = await RunAsync(upstreams, new SetRequest("trap", TrackCount: 10));

        var failures = sink.Events.OfType<ItemFailed>().ToList();
        Assert.Contains(failures, f => f.Reason == "budget_exhausted");
        Assert.Equal(sink.Events.OfType<TrackFound>().Count(), sink.Events.OfType<TrackEnriched>().Count());
        var terminal = Assert.IsType<JobEnded>(sink.Events.Last());
        var set = Assert.Single(sink.Events.OfType<SetCompleted>()).Set;
        if (outcome == JobOutcome.Completed)
        {
            Assert.Contains(failures, f => f.Stage == "llm"); // what the budget found, ordered, without the model's notes
            Assert.Contains("no notes", set.Review, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal((JobOutcome.Failed, "no_tracks"), (outcome, terminal.Reason)); // the budget ran out before any tempo was known
            Assert.NotNull(set.Shortfall);
        }
    }

    private static int MaxOverlap(IReadOnlyList<Pipeline.Sandbox.SandboxRequest> requests)
    {
        var edges = requests.SelectMany(r => new[] { (r.At.UtcTicks, 1), (r.Finished.UtcTicks, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2);
        int current = 0, max = 0;
        foreach (var (_, delta) in edges)
        {
            current += delta;
            max = Math.Max(max, current);
        }

        return max;
    }
}
