namespace Pipeline.Stages.Intent;

/// <summary>
/// A mood or occasion word and what it asks of a track's Spotify features: an energy and a valence range (0–1), each
/// null when the word says nothing about it, and the set shape it implies, if any.
/// </summary>
internal sealed record Mood(string Name, string[] Phrases, double? EnergyLow, double? EnergyHigh, double? ValenceLow, double? ValenceHigh, string? Shape = null)
{
    /// <summary>A rising set: energy and tempo build slowly from low.</summary>
    public const string WarmUp = "warm-up";

    /// <summary>High and steady.</summary>
    public const string PeakTime = "peak-time";

    /// <summary>A release: energy and tempo come down.</summary>
    public const string CoolDown = "cool-down";

    /// <summary>Every mood, longer phrases first.</summary>
    public static readonly Mood[] All =
    [
        new(WarmUp, ["warm-up", "warm up", "warmup", "opening set", "opener"], null, 0.75, null, null, WarmUp),
        new(PeakTime, ["peak-time", "peak time", "peaktime", "prime time", "banger", "bangers"], 0.75, null, null, null, PeakTime),
        new(CoolDown, ["cool-down", "cool down", "cooldown", "closing set", "after hours", "afterhours", "comedown", "wind down"], null, 0.6, null, null, CoolDown),
        new("house party", ["house party", "block party"], 0.6, null, 0.4, null),
        new("party", ["party", "club", "dancefloor", "dance floor", "festival", "rave"], 0.65, null, null, null),
        new("chill", ["chill", "chilled", "chillout", "chill-out", "relaxed", "relaxing", "mellow", "laid-back", "laid back", "calm"], null, 0.55, null, null),
        new("studying", ["studying", "study", "focus", "reading", "work"], null, 0.55, null, null),
        new("dinner", ["dinner", "lounge", "cocktail", "cafe", "coffee"], null, 0.6, null, null),
        new("dark", ["dark", "moody", "brooding", "gloomy"], null, null, null, 0.4),
        new("sad", ["sad", "melancholic", "melancholy", "heartbreak"], null, 0.6, null, 0.35),
        new("uplifting", ["uplifting", "euphoric", "happy", "feel-good", "feel good", "joyful", "sunny"], null, null, 0.55, null),
        new("sunset", ["sunset", "golden hour", "dusk"], 0.4, 0.8, 0.35, null),
        new("sunrise", ["sunrise", "dawn", "morning"], 0.4, 0.85, 0.4, null),
        new("workout", ["workout", "gym", "running", "cardio", "training", "fitness"], 0.75, null, null, null),
        new("wedding", ["wedding", "reception"], 0.5, null, 0.5, null),
        new("summer", ["summer", "beach", "pool", "poolside"], 0.5, null, 0.5, null),
        new("romantic", ["romantic", "love", "sensual", "sexy"], null, 0.7, null, null),
        new("road trip", ["road trip", "driving", "drive"], 0.5, null, null, null),
        new("late night", ["late night", "late-night", "midnight"], null, null, null, 0.6),
        new("energetic", ["energetic", "high energy", "high-energy", "hard", "driving beat"], 0.75, null, null, null),
    ];
}
