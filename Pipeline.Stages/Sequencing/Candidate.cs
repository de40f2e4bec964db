using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>A pool track as the sequencer weighs it: its fit to the intent and the penalty its misfits cost.</summary>
internal sealed record Candidate(Track Track, bool StyleMatch, bool BroadMatch, bool DecadeMatch, double MoodPenalty, bool Seed, bool NamedArtist)
{
    public double Bpm => Track.Bpm ?? 0;

    public double? Energy => Track.Features?.Energy;

    public string ArtistKey { get; } = Track.Artist.ToLowerInvariant();

    /// <summary>Matches the styles and the decade asked (each trivially when not asked).</summary>
    public bool Fits => StyleMatch && DecadeMatch;

    /// <summary>Matches the decade and the styles or the broader styles they belong to (house for deep house).</summary>
    public bool FitsBroadly => (StyleMatch || BroadMatch) && DecadeMatch;

    /// <summary>Within 0.1 of every mood's energy and valence ranges, all told (a workout set's tracks are energetic).</summary>
    public bool InMood => MoodPenalty <= 2;

    /// <summary>What choosing it costs beside its tempo: misfits dearly, mood a little; seeds are wanted whatever they cost.</summary>
    public double Penalty => (StyleMatch ? 0 : BroadMatch ? 15 : 40) + (DecadeMatch ? 0 : 40) + MoodPenalty - (Seed ? 200 : 0) - (NamedArtist ? 4 : 0);
}
