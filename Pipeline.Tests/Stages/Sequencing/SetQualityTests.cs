using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Stages.Sequencing;

/// <summary>
/// Whole jobs over many prompts, on the sandbox's real catalog and real HTTP, graded with the catalog as ground truth
/// (<see cref="SetGrade"/>): the asked style and decade, tempo on the curve, smooth steps, compatible keys, no repeats.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class SetQualityTests(SetQualityTests.Upstreams upstreams, ITestOutputHelper output) : IClassFixture<SetQualityTests.Upstreams>
{
    public static TheoryData<string, int?, int?> Prompts => new()
    {
        { "dark techno around 130 bpm", null, null },
        { "90s hip hop for a house party", null, null },
        { "chill lo-fi for studying, 20 tracks", 20, null },
        { "uplifting trance 138 bpm for a sunrise", null, null },
        { "90s rock party", null, null },
        { "latin reggaeton warm-up 95 bpm", null, null },
        { "french house like Daft Punk and Justice", null, null },
        { "a 2-hour wedding set", null, 120 },
        { "a 124 BPM sunset house set", null, null },
        { "a 100 BPM house set", null, null },
        { "80s electropop and synth pop", null, null },
        { "gangsta rap from the 90s, 25 tracks", 25, null },
        { "neo soul for a dinner party, 15 tracks", 15, null },
        { "big room festival peak-time set", null, null },
        { "classic rock road trip from 100 to 130 bpm", null, null },
        { "latin pop summer hits 2010-2015", null, null },
        { "trap workout at 140 bpm", null, null },
        { "new jack swing throwback, 25 tracks", 25, null },
        { "progressive house 128 bpm, 45 minutes", null, 45 },
        { "indie pop for a rainy morning", null, null },
        { "hard rock workout", null, null },
        { "tropical house beach party", null, null },
        { "r&b slow jams late night", null, null },
        { "electro house 2019 club set, 40 tracks", 40, null },
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SetGrade> Graded = new(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Prompts))]
    public async Task Set_Prompt_AnswersTheRequestOnTheCatalog(string prompt, int? count, int? minutes)
    {
        var request = new SetRequest(prompt);
        var intent = SetIntent.Of(request);
        var sink = new RecordingSink();
        var job = upstreams.Harness.Jobs.Start(sink);

        var outcome = await upstreams.Harness.Get<SetPipeline>().RunAsync(job, request).Within();

        Assert.Equal(JobOutcome.Completed, outcome);
        var set = Assert.Single(sink.Events.OfType<SetCompleted>()).Set;
        var grade = SetGrade.Of(set, intent, SandboxServer.Catalog);
        Graded[prompt] = grade;
        output.WriteLine($"{prompt} | {grade} | curve {set.Curve} | {set.Shortfall} | calls {job.Budget.Used}");
        foreach (var t in set.Tracks)
        {
            output.WriteLine($"  {t.Position,2} {t.Bpm,6} ({t.TargetBpm,6}) {t.Camelot,3} {t.Energy:0.00} {t.Artist} – {t.Title} | {t.Transition?.TempoStep} {t.Transition?.KeyRelation} {t.Transition?.Mix}");
        }

        Assert.Equal(count ?? (minutes is null ? SetIntent.DefaultTrackCount : grade.Tracks), grade.Tracks);
        if (minutes is { } m)
        {
            Assert.InRange(grade.DurationMs, (m * 60_000L) - set.Tracks.Max(t => t.DurationMs), (m * 60_000L) + set.Tracks.Max(t => t.DurationMs));
        }

        // Where the catalog had too few of the kind asked, the set says so; otherwise it is of that kind.
        if (set.Shortfall is null)
        {
            Assert.True(grade.StyleShare >= 0.8, $"style {grade.StyleShare}");
            Assert.True(grade.DecadeShare is null or >= 0.8, $"decade {grade.DecadeShare}");
        }
        else
        {
            Assert.True(grade.StyleShare >= 0.5, $"style {grade.StyleShare} with a shortfall: {set.Shortfall}");
        }

        // An asked tempo is met wherever the catalog holds enough of the kind asked near it.
        if (intent.Tempo is not null && grade.CatalogHasTempo)
        {
            Assert.True(grade.InTempoShare >= 0.8, $"in tempo {grade.InTempoShare}");
        }

        Assert.True(grade.SmoothShare >= 0.9, $"steps ≤ 6 BPM {grade.SmoothShare}");
        Assert.True(grade.KeyShare >= 0.6, $"key compatible {grade.KeyShare}");
        Assert.Equal(0, grade.Duplicates);
        Assert.InRange(grade.MostPerArtist, 1, 2);
    }

    [Fact]
    public async Task Set_AllPrompts_MeetTheTargetsOnAverage()
    {
        foreach (var row in Prompts)
        {
            if (!Graded.ContainsKey((string)row[0]))
            {
                await Set_Prompt_AnswersTheRequestOnTheCatalog((string)row[0], (int?)row[1], (int?)row[2]);
            }
        }

        var grades = Graded.Values.ToList();
        Assert.True(grades.Average(g => g.StyleShare) >= 0.9, $"style {grades.Average(g => g.StyleShare):0.000}");
        Assert.True(grades.Average(g => g.SmoothShare) >= 0.95, $"steps ≤ 6 BPM {grades.Average(g => g.SmoothShare):0.000}");
        Assert.True(grades.Average(g => g.KeyShare) >= 0.75, $"key compatible {grades.Average(g => g.KeyShare):0.000}");
    }

    [Fact]
    public async Task Set_SameStyleAnotherTempo_AnotherSet()
    {
        var sets = new List<Pipeline.Stages.Sequencing.SetResult>();
        foreach (var prompt in new[] { "a 124 BPM house set", "a 100 BPM house set" })
        {
            var sink = new RecordingSink();
            await upstreams.Harness.Get<SetPipeline>().RunAsync(upstreams.Harness.Jobs.Start(sink), new SetRequest(prompt)).Within();
            sets.Add(Assert.Single(sink.Events.OfType<SetCompleted>()).Set);
        }

        Assert.Equal(124, sets[0].Curve.From);
        Assert.Equal(100, sets[1].Curve.From);
        Assert.True(sets[0].Tracks.Select(t => t.Id).Intersect(sets[1].Tracks.Select(t => t.Id)).Count() < 10);
        Assert.True(sets[1].Tracks.Average(t => t.Bpm!.Value) < sets[0].Tracks.Average(t => t.Bpm!.Value) - 10);
    }

    /// <summary>One sandbox and one set of stages for every prompt: the cache they share is how a host runs.</summary>
    public sealed class Upstreams : IAsyncLifetime
    {
        internal UpstreamHarness Harness { get; private set; } = null!;

        public async Task InitializeAsync() => Harness = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?> { ["Pipeline:Jobs:CallBudget"] = "2000" });

        public async Task DisposeAsync() => await Harness.DisposeAsync();
    }
}
