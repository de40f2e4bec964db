namespace Pipeline.Stages.Intent;

/// <summary>
/// A genre or subgenre the parser knows: the phrases that name it, the tag Last.fm files it under, the Spotify
/// <c>genre:</c> filter value (null when Spotify has no such genre), its typical tempo range (MIXING.md), and the
/// broader style it belongs to (deep house is house), which fills a set when the catalog has too few of it.
/// </summary>
internal sealed record Style(string Name, string[] Phrases, string? SpotifyGenre, double? TempoLow, double? TempoHigh, string? Parent = null)
{
    /// <summary>Every style, most specific first: a longer phrase is matched (and consumed) before a shorter one inside it.</summary>
    public static readonly Style[] All =
    [
        new("drum and bass", ["drum and bass", "drum & bass", "drum n bass", "dnb", "d&b", "jungle"], "drum and bass", 160, 180),
        new("deep house", ["deep house"], "deep house", 118, 125, "house"),
        new("tech house", ["tech house", "tech-house"], "tech house", 124, 128, "house"),
        new("progressive house", ["progressive house", "progressive electro house"], "progressive electro house", 126, 130, "house"),
        new("electro house", ["electro house", "electro-house"], "electro house", 126, 130, "house"),
        new("tropical house", ["tropical house"], "tropical house", 100, 124, "house"),
        new("french house", ["french house", "french touch", "filter house"], "french house", 118, 126, "house"),
        new("big room", ["big room", "bigroom", "festival edm"], "big room", 126, 130),
        new("electro swing", ["electro swing"], null, 115, 130),
        new("future house", ["future house"], null, 124, 128, "house"),
        new("vocal house", ["vocal house"], null, 120, 128, "house"),
        new("house", ["house"], "house", 120, 128),
        new("techno", ["techno"], "techno", 125, 140),
        new("trance", ["trance"], "trance", 128, 140),
        new("dubstep", ["dubstep"], "dubstep", 138, 150),
        new("edm", ["edm", "electronic dance", "electronic"], "edm", 120, 130),
        new("disco", ["disco", "nu disco", "nu-disco"], "disco", 110, 125),
        new("funk", ["funk", "funky"], "funk", 95, 115),
        new("lo-fi", ["lo-fi", "lofi", "lo fi", "lo-fi hip hop", "lofi hip hop", "chillhop"], "lo-fi", 70, 90),
        new("jazz", ["jazz", "jazzy"], "jazz", null, null),
        new("gangster rap", ["gangster rap", "gangsta rap", "g-funk"], "gangster rap", 85, 100, "hip hop"),
        new("southern hip hop", ["southern hip hop", "dirty south", "crunk"], "southern hip hop", 70, 100, "hip hop"),
        new("latin hip hop", ["latin hip hop", "latin rap"], "latin hip hop", 85, 100, "latin"),
        new("trap", ["trap"], "trap", 130, 150),
        new("hip hop", ["hip hop", "hip-hop", "hiphop", "boom bap"], "hip hop", 85, 100),
        new("rap", ["rap"], "rap", 85, 100),
        new("reggaeton", ["reggaeton", "reggaetón", "dembow", "perreo"], "reggaeton", 88, 100, "latin"),
        new("latin pop", ["latin pop", "pop latino"], "latin pop", 90, 120, "latin"),
        new("dancehall", ["dancehall"], "dancehall", 90, 100),
        new("afrobeats", ["afrobeats", "afrobeat", "afro"], "afrobeats", 100, 115),
        new("tropical", ["tropical"], "tropical", 100, 124),
        new("latin", ["latin", "latino", "salsa", "cumbia", "bachata"], "latin", 90, 110),
        new("new jack swing", ["new jack swing", "swingbeat"], "new jack swing", 95, 110, "r&b"),
        new("neo soul", ["neo soul", "neo-soul"], "neo soul", 60, 100, "r&b"),
        new("urban contemporary", ["urban contemporary"], "urban contemporary", 60, 100, "r&b"),
        new("r&b", ["r&b", "rnb", "r'n'b", "r and b", "rhythm and blues"], "r&b", 60, 100),
        new("soul", ["soul"], "soul", 60, 100),
        new("gospel", ["gospel"], "gospel", null, null),
        new("dance pop", ["dance pop", "dance-pop"], "dance pop", 110, 128, "pop"),
        new("electropop", ["electropop", "electro pop", "synthpop", "synth pop", "synth-pop"], "electropop", 100, 130, "pop"),
        new("k-pop", ["k-pop", "kpop"], "k-pop", 95, 130),
        new("indie pop", ["indie pop", "indie poptimism"], "indie poptimism", 95, 130, "pop"),
        new("post-teen pop", ["post-teen pop", "teen pop"], "post-teen pop", 95, 130, "pop"),
        new("classic rock", ["classic rock"], "classic rock", 100, 140, "rock"),
        new("hard rock", ["hard rock"], "hard rock", 100, 140, "rock"),
        new("album rock", ["album rock"], "album rock", 100, 140, "rock"),
        new("indie rock", ["indie rock", "alternative rock", "alt rock"], "permanent wave", 100, 140, "rock"),
        new("punk", ["punk", "pop punk"], "punk", 140, 180),
        new("metal", ["metal", "heavy metal"], "metal", 100, 160),
        new("blues", ["blues"], "blues", 70, 120),
        new("rock", ["rock", "rock and roll", "rock'n'roll"], "rock", 100, 140),
        new("indie", ["indie"], "indie", 95, 130),
        new("pop", ["pop"], "pop", 95, 130),
    ];

    /// <summary>
    /// The subgenres of this style whose usual tempo holds <paramref name="bpm"/> (half and double time folded) when
    /// this style's own does not: a 100 BPM house set is tropical house. Empty when the style itself lives there.
    /// </summary>
    public IEnumerable<Style> LivingAt(double bpm) =>
        Holds(this, bpm) ? [] : All.Where(s => s.Parent == Name && Holds(s, bpm));

    private static bool Holds(Style style, double bpm) =>
        style.TempoLow is not { } low || style.TempoHigh is not { } high
        || TempoCurve.Fold(bpm, (low + high) / 2) is var folded && folded >= low && folded <= high;

    /// <summary>The style each phrase names, for telling a tag of another family from one of this style's.</summary>
    public static readonly IReadOnlyDictionary<string, Style> ByPhrase = All.SelectMany(s => s.Phrases.Select(p => (p, s))).DistinctBy(e => e.p).ToDictionary(e => e.p, e => e.s, StringComparer.Ordinal);
}
