using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;

namespace Pipeline.Tests.Stages.Intent;

public sealed class IntentParserTests
{
    public static TheoryData<string, string, string?, string?, string?, int, int?, string> Prompts => new()
    {
        // prompt, styles, years, tempo, shape, tracks, minutes, artists
        { "dark techno around 130 bpm", "techno", null, "flat 130", null, 30, null, "" },
        { "90s hip hop for a house party", "hip hop", "1990-1999", null, null, 30, null, "" },
        { "a 124 BPM sunset house set", "house", null, "flat 124", null, 30, null, "" },
        { "chill lo-fi for studying, 20 tracks", "lo-fi", null, null, null, 20, null, "" },
        { "uplifting trance 138 bpm for a sunrise", "trance", null, "flat 138", null, 30, null, "" },
        { "90s rock party", "rock", "1990-1999", null, null, 30, null, "" },
        { "latin reggaeton warm-up 95 bpm", "reggaeton|latin", null, "flat 95", "warm-up", 30, null, "" },
        { "french house like Daft Punk and Justice", "french house", null, null, null, 30, null, "Daft Punk|Justice" },
        { "a 2-hour wedding set", "", null, null, null, 32, 120, "" },
        { "deep house from 118 to 126 bpm", "deep house", null, "ramp 118-126", null, 30, null, "" },
        { "tech house 128-132 bpm, 90 minutes", "tech house", null, "flat 130", null, 24, 90, "" },
        { "late 80s synth pop cool-down", "electropop", "1985-1989", null, "cool-down", 30, null, "" },
        { "gangsta rap 2010-2015 peak time", "gangster rap", "2010-2015", null, "peak-time", 30, null, "" },
        { "r&b slow jams in the style of Usher, 15 songs", "r&b", null, null, null, 15, null, "Usher" },
        { "Reggaetón perreo 1h", "reggaeton", null, null, null, 16, 60, "" },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Parse_Prompt_UnderstoodAsADjWould(string prompt, string styles, string? years, string? tempo, string? shape, int tracks, int? minutes, string artists)
    {
        var intent = SetIntent.Of(new SetRequest(prompt));

        Assert.Equal(styles, string.Join('|', intent.Styles));
        Assert.Equal(years, intent.YearFrom is null ? null : $"{intent.YearFrom}-{intent.YearTo}");
        Assert.Equal(tempo, intent.Tempo is null ? null : intent.Tempo.Shape == TempoCurve.Flat ? $"flat {intent.Tempo.From}" : $"{intent.Tempo.Shape} {intent.Tempo.From}-{intent.Tempo.To}");
        Assert.Equal(shape, intent.Shape);
        Assert.Equal(tracks, intent.TrackCount);
        Assert.Equal(minutes, intent.DurationMinutes);
        Assert.Equal(artists, string.Join('|', intent.Artists));
    }

    [Fact]
    public void Parse_HipHopAtAHouseParty_TheStyleOutranksTheVenueWord()
    {
        var intent = SetIntent.Of(new SetRequest("90s hip hop for a house party"));

        Assert.DoesNotContain("house", intent.Styles);
        Assert.Contains("house party", intent.Moods);
    }

    [Fact]
    public void Parse_UnknownWords_KeptAsFreeTextTerms()
    {
        var intent = SetIntent.Of(new SetRequest("indie pop for a rainy morning in Lisbon"));

        Assert.Equal(["rainy", "lisbon"], intent.Words);
        Assert.Equal(["indie pop"], intent.Styles);
    }

    [Fact]
    public void Parse_RequestFields_WinOverThePromptsWords()
    {
        var intent = SetIntent.Of(new SetRequest("a 124 BPM house set, 20 tracks", TrackCount: 12, SeedTracks: ["Kygo - Firestone"], Bpm: 122));

        Assert.Equal(12, intent.TrackCount);
        Assert.Equal(122, intent.Tempo!.From);
        Assert.Equal(["Kygo - Firestone"], intent.SeedTracks);
    }

    [Fact]
    public void Parse_DurationField_SetsTheLengthAndAFirstCount()
    {
        var intent = SetIntent.Of(new SetRequest("house", DurationMinutes: 45));

        Assert.Equal((45, 12), (intent.DurationMinutes!.Value, intent.TrackCount));
    }
}
