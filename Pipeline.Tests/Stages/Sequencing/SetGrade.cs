using Pipeline.Sandbox.Catalog;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Search;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Tests.Stages.Sequencing;

/// <summary>A finished set graded against the catalog as ground truth: its tracks' real tags, years and tempos.</summary>
internal sealed record SetGrade(
    int Tracks,
    double StyleShare,
    double? DecadeShare,
    double InTempoShare,
    bool CatalogHasTempo,
    double SmoothShare,
    double KeyShare,
    double LargestStep,
    int Duplicates,
    int MostPerArtist,
    long DurationMs)
{
    public static SetGrade Of(SetResult set, SetIntent intent, MusicCatalog catalog)
    {
        var tracks = set.Tracks.Select(t => catalog.ById(t.Id)!).ToList();
        var styles = intent.Styles.Select(IntentParser.StyleNamed).OfType<Style>().ToList();
        // A set the catalog could not fill with the style itself says so and fills up with its broader style (house for french house).
        var broad = set.Shortfall is not null ? styles.Select(s => s.Parent).OfType<string>().Select(IntentParser.StyleNamed).OfType<Style>().ToList() : [];
        bool StyleOf(CatalogTrack t) => styles.Count == 0 || styles.Concat(broad).Any(s => Carries(t, s)) || intent.Artists.Any(a => string.Equals(a, t.Artist, StringComparison.OrdinalIgnoreCase));
        bool DecadeOf(CatalogTrack t) => !intent.HasYears || (int.Parse(t.ReleaseDate[..4], System.Globalization.CultureInfo.InvariantCulture) is var y && y >= intent.YearFrom && y <= intent.YearTo);
        var transitions = set.Tracks.Where(t => t.Transition is not null).Select(t => t.Transition!).ToList();
        var inTempo = set.Tracks.Count(t => Math.Abs(TempoCurve.Fold(catalog.ById(t.Id)!.Tempo, t.TargetBpm) - t.TargetBpm) <= SetSequencer.InTempo);
        // Enough songs of the kind asked within reach of the curve, counted in the whole catalog.
        var reachable = catalog.Tracks.Where(t => StyleOf(t) && DecadeOf(t) && t.Artist is not null && t.Name is not null)
            .Where(t => Math.Abs(TempoCurve.Fold(t.Tempo, Math.Clamp(t.Tempo, set.Curve.Min, set.Curve.Max)) - Math.Clamp(TempoCurve.Fold(t.Tempo, (set.Curve.Min + set.Curve.Max) / 2), set.Curve.Min, set.Curve.Max)) <= SetSequencer.InTempo)
            .Select(t => SongKey.Of(t.Artist!, t.Name!)).Distinct().Count();
        return new SetGrade(
            tracks.Count,
            Share(tracks.Count(StyleOf), tracks.Count),
            intent.HasYears ? Share(tracks.Count(DecadeOf), tracks.Count) : null,
            Share(inTempo, tracks.Count),
            reachable >= 2 * tracks.Count,
            Share(transitions.Count(x => Math.Abs(x.TempoStep ?? 99) <= 6), transitions.Count),
            Share(transitions.Count(x => Pipeline.Stages.Music.Camelot.IsCompatible(x.KeyRelation)), transitions.Count),
            transitions.Count == 0 ? 0 : transitions.Max(x => Math.Abs(x.TempoStep ?? 0)),
            tracks.Count - tracks.Select(t => SongKey.Of(t.Artist ?? "", t.Name ?? "")).Distinct().Count(),
            tracks.Count == 0 ? 0 : tracks.GroupBy(t => t.Artist?.ToLowerInvariant()).Max(g => g.Count()),
            tracks.Sum(t => (long)t.DurationMs));
    }

    /// <summary>True when the catalog files the track under the style: a tag, genre or subgenre of its family holding one of its phrases as whole words.</summary>
    public static bool Carries(CatalogTrack track, Style style) =>
        track.Tags.Any(tag => CandidateFit.Carries(tag.Name, style));

    private static double Share(int part, int whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 3);
}
