using System.Globalization;
using Pipeline.Sandbox.Catalog;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Stages.Sequencing;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Benchmarks.Sequencing;

/// <summary>
/// The sequencer on pools of the real catalog: its total transition cost beside greedy nearest-neighbour's on the same
/// chosen tracks (ratio), and its time for a pool of 200 (median of rounds), beside nothing: a model call takes seconds.
/// </summary>
internal static class SequencerRun
{
    private static readonly (string Prompt, string Subgenre)[] Cases =
    [
        ("a 124 BPM house set, 30 tracks", "electro house"),
        ("90s hip hop, 30 tracks", "hip hop"),
        ("chill neo soul, 30 tracks", "neo soul"),
        ("hard rock workout, 30 tracks", "hard rock"),
        ("reggaeton warm-up 95 bpm, 30 tracks", "reggaeton"),
        ("big room from 126 to 130 bpm, 60 tracks", "big room"),
        ("latin pop, a 3-hour set", "latin pop"),
    ];

    public static void Run(TextWriter output)
    {
        var catalog = MusicCatalog.Shipped;
        output.WriteLine("| prompt | pool | set | sequencer cost | greedy cost | ratio | sequencer time (median of 5) |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (prompt, subgenre) in Cases)
        {
            var pool = catalog.Tracks.Where(t => t.Subgenres.Contains(subgenre) && t.Artist is not null && t.Name is not null).Take(200).Select((t, i) => Track(t, i + 1)).ToList();
            var intent = SetIntent.Of(new SetRequest(prompt));
            var times = new List<double>();
            for (var round = 0; round < 6; round++)
            {
                var start = TimeProvider.System.GetTimestamp();
                SetSequencer.Sequence(pool, intent);
                if (round > 0)
                {
                    times.Add(TimeProvider.System.GetElapsedTime(start).TotalMilliseconds); // the first round warms the JIT
                }
            }

            var (order, curve) = SetSequencer.Select(pool, intent);
            var sequenced = SetSequencer.TransitionCost(order, curve);
            var greedy = SetSequencer.TransitionCost(SetSequencer.Greedy(order, curve), curve);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {prompt} | {pool.Count} | {order.Count} | {sequenced:0.0} | {greedy:0.0} | {sequenced / greedy:0.00}× | {times.Order().ElementAt(times.Count / 2):0.0} ms |"));
        }
    }

    private static Track Track(CatalogTrack t, int index) => new(t.Id, t.Name!, [t.Artist!], t.AlbumName, t.ReleaseDate, t.DurationMs, t.Isrc, index)
    {
        Features = new AudioFeatures(t.Id, t.Tempo, t.Key, t.Mode, t.Energy, t.Danceability, t.Valence, t.Loudness),
        Bpm = t.Tempo,
        BpmSource = "spotify",
        Camelot = Camelot.From(t.Key, t.Mode),
        Tags = [.. t.Tags.Take(16).Select(tag => tag.Name)],
    };
}
