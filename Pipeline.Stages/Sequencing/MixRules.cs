using Pipeline.Stages.Music;

namespace Pipeline.Stages.Sequencing;

/// <summary>
/// What a transition costs and how it is mixed (MIXING.md): tempo steps over a beat are felt, over 6 BPM need a
/// creative transition; keys the same, adjacent or relative blend, a clash does not; energy jumps over 0.2 are felt;
/// the same artist back to back reads as a mistake.
/// </summary>
internal static class MixRules
{
    /// <summary>The largest step a transition may take and still count as smooth.</summary>
    public const double SmoothStep = 6;

    /// <summary>Tracks of one artist a set may hold.</summary>
    public const int MaxPerArtist = 2;

    public static double Cost(double fromBpm, double toBpm, string? fromKey, string? toKey, double? fromEnergy, double? toEnergy, bool sameArtist)
    {
        var step = Math.Abs(toBpm - fromBpm);
        var tempo = step <= 1 ? 0 : step - 1;
        if (step > SmoothStep)
        {
            tempo += 12 + ((step - SmoothStep) * 3);
        }

        var key = Camelot.Relation(fromKey, toKey) switch
        {
            "same" => 0,
            "adjacent" or "relative" => 0.5,
            "adventurous" or "unknown" => 9,
            _ => 20,
        };
        var energy = fromEnergy is { } a && toEnergy is { } b && Math.Abs(b - a) > 0.2 ? (Math.Abs(b - a) - 0.2) * 15 : 0;
        return tempo + key + energy + (sameArtist ? 10 : 0);
    }

    /// <summary>The move between two tracks of a set: the tempo step between their readings, the key relation and the mix they allow.</summary>
    public static SetTransition Between(double? fromBpm, double? toBpm, string? fromKey, string? toKey)
    {
        var step = fromBpm is { } a && toBpm is { } b ? Math.Round(b - a, 1) : (double?)null;
        var relation = Camelot.Relation(fromKey, toKey);
        return new SetTransition(step, relation, Mix(step, relation));
    }

    /// <summary>The technique a step and key relation allow.</summary>
    public static string Mix(double? step, string relation)
    {
        var size = step is { } s ? Math.Abs(s) : double.PositiveInfinity;
        var compatible = Camelot.IsCompatible(relation);
        return size switch
        {
            <= 3 when compatible => "blend",
            <= SmoothStep when compatible || relation == "adventurous" => "short blend",
            <= SmoothStep => "drums-only blend",
            <= 12 => "echo out",
            _ => "cut",
        };
    }
}
