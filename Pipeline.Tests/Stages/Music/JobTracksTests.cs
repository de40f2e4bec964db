using Pipeline.Jobs;
using Pipeline.Stages.Events;
using Pipeline.Stages.Music;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Music;

public sealed class JobTracksTests : IDisposable
{
    private readonly CoreHarness _core = new();
    private readonly RecordingSink _sink = new();

    public void Dispose() => _core.Dispose();

    private static Track Song(int index) => new($"t{index}", "title", ["artist"], null, null, 200_000, null, index);

    [Fact]
    public void AddBothHalves_InEitherOrder_JoinedOnceSpotifyTempoAndKeyOverDeezersBpm()
    {
        var tracks = new JobTracks(_core.Time);
        var job = _core.Jobs.Start(_sink);

        tracks.AddFeatures(job, Song(2) with { Bpm = 124, BpmSource = "spotify", Camelot = "8A" });
        tracks.AddEnrichment(job, Song(1) with { Bpm = 120, BpmSource = "deezer" });
        tracks.AddEnrichment(job, Song(2) with { Bpm = 62, BpmSource = "deezer" });
        tracks.AddFeatures(job, Song(1)); // Spotify had no features: Deezer's BPM stays

        var joined = tracks.Take(job);
        Assert.Equal([1, 2], joined.Select(t => t.Index)); // candidate order
        Assert.Equal((120d, "deezer"), (joined[0].Bpm!.Value, joined[0].BpmSource!));
        Assert.Equal((124d, "spotify", "8A"), (joined[1].Bpm!.Value, joined[1].BpmSource!, joined[1].Camelot!));
        Assert.Equal(["t2", "t1"], _sink.Events.OfType<TrackEnriched>().Select(e => e.Track.Id)); // published as each second half arrives
    }

    [Fact]
    public void Take_AHalfWhoseOtherHalfNeverCame_DroppedAndTheJobForgotten()
    {
        var tracks = new JobTracks(_core.Time);
        var job = _core.Jobs.Start(_sink);
        tracks.AddFeatures(job, Song(1));
        tracks.AddEnrichment(job, Song(1));
        tracks.AddFeatures(job, Song(2)); // its enrichment failed, and was reported there

        Assert.Equal(["t1"], tracks.Take(job).Select(t => t.Id));
        Assert.Empty(tracks.Take(job)); // handed over once
    }

    [Fact]
    public void AddAHalf_JobStopped_NothingKeptNorPublished()
    {
        var tracks = new JobTracks(_core.Time);
        var job = _core.Jobs.Start(_sink);
        tracks.AddFeatures(job, Song(1));
        _core.Jobs.End(job, JobOutcome.Cancelled);

        tracks.AddEnrichment(job, Song(1));
        tracks.Forget(job);

        Assert.Empty(_sink.Events.OfType<TrackEnriched>());
        Assert.Empty(tracks.Take(job));
    }
}
