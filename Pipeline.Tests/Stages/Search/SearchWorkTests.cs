using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Search;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Search;

public sealed class SearchWorkTests
{
    private static async Task<List<Track>> SearchAsync(UpstreamHarness upstreams, SetRequest request)
    {
        var job = upstreams.Jobs.Start(new RecordingSink());
        var found = new List<Track>();
        await foreach (var track in upstreams.Get<SearchWork>().RunAsync(new SetSearch(request, SetIntent.Of(request)), job, CancellationToken.None))
        {
            found.Add(track);
        }

        return found;
    }

    [Fact]
    public async Task RunAsync_ASet_APoolOfTheConfiguredSizeEachSongOnceInCandidateOrder()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();

        var pool = await SearchAsync(upstreams, new SetRequest("a 124 BPM sunset house set", TrackCount: 12)).Within();

        Assert.Equal(new SetPipelineOptions().PoolSize(12), pool.Count);
        Assert.Equal(Enumerable.Range(1, pool.Count), pool.Select(t => t.Index));
        Assert.Equal(pool.Count, pool.Select(t => t.Id).Distinct().Count());
        Assert.Equal(pool.Count, pool.Select(t => (t.Artists[0].ToUpperInvariant(), t.Title.ToUpperInvariant())).Distinct().Count()); // no song twice under two ids
    }

    [Fact]
    public async Task RunAsync_TempoAsked_ThePoolScreenedByTheFeaturesItReadAndCached()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();

        var pool = await SearchAsync(upstreams, new SetRequest("a 124 BPM sunset house set", TrackCount: 12)).Within();
        var calls = upstreams.Requests("spotify").Count;
        var features = await upstreams.Get<AudioFeaturesLookup>().GetAsync([.. pool.Select(t => t.Id)], upstreams.Jobs.Start(), SearchWork.Stage, _ => [], CancellationToken.None).Within();

        Assert.Equal(calls, upstreams.Requests("spotify").Count); // every found track's features were read, and cached, by search
        var tempos = pool.Select(t => features.GetValueOrDefault(t.Id)?.Tempo).OfType<double>().ToList();
        Assert.True(tempos.Count >= pool.Count / 2, $"{tempos.Count} of {pool.Count} with a tempo");
        Assert.All(tempos, bpm => Assert.Contains(new[] { bpm, bpm / 2, bpm * 2 }, b => b is >= 100 and <= 150)); // near the asked 124, or half or double it
    }

    [Fact]
    public async Task RunAsync_SameSearchTwice_TheSamePoolAndTheSecondFromTheCache()
    {
        await using var upstreams = await UpstreamHarness.StartAsync();
        var request = new SetRequest("deep house for a sunset", TrackCount: 10);

        var first = await SearchAsync(upstreams, request).Within();
        var calls = upstreams.Requests("spotify").Count;
        var second = await SearchAsync(upstreams, request).Within();

        Assert.Equal(first.Select(t => t.Id), second.Select(t => t.Id));
        Assert.Equal(calls, upstreams.Requests("spotify").Count);
    }
}
