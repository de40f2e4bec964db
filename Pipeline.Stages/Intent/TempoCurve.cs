namespace Pipeline.Stages.Intent;

/// <summary>
/// A set's tempo over its positions: flat at a target, a ramp from one tempo to another, or an arc that builds to its
/// peak two thirds of the way through and then releases. Within <see cref="Band"/> BPM of the curve a track fits
/// exactly.
/// </summary>
/// <param name="From">The tempo at the first position.</param>
/// <param name="To">The tempo at the last position (a ramp), or the peak (an arc).</param>
/// <param name="Shape"><c>flat</c>, <c>ramp</c> or <c>arc</c>.</param>
/// <param name="Band">Half-width of the band around the curve that counts as on it, BPM.</param>
public sealed record TempoCurve(double From, double To, string Shape, double Band)
{
    /// <summary>A flat curve.</summary>
    public const string Flat = "flat";

    /// <summary>A linear ramp from <see cref="From"/> to <see cref="To"/>.</summary>
    public const string Ramp = "ramp";

    /// <summary>A build to <see cref="To"/> at two thirds of the set, then a release halfway back.</summary>
    public const string Arc = "arc";

    /// <summary>The target tempo at <paramref name="position"/> (from 0) of a set of <paramref name="count"/> tracks.</summary>
    /// <param name="position">The position, from 0.</param>
    /// <param name="count">The set's length.</param>
    /// <returns>BPM.</returns>
    public double At(int position, int count)
    {
        var x = count <= 1 ? 0.0 : (double)position / (count - 1);
        return Shape switch
        {
            Ramp => From + ((To - From) * x),
            Arc when x <= 2.0 / 3 => From + ((To - From) * x * 1.5),
            Arc => To - ((To - From) * 0.5 * (x - (2.0 / 3)) * 3),
            _ => From,
        };
    }

    /// <summary>How much a track's distance from the curve weighs beside its transitions: 1 for an asked tempo, less for a curve the sequencer chose itself.</summary>
    internal double Weight { get; init; } = 1;

    /// <summary>The lowest tempo on the curve.</summary>
    public double Min => Math.Min(From, To);

    /// <summary>The highest tempo on the curve.</summary>
    public double Max => Math.Max(From, To);

    /// <summary>
    /// The reading of <paramref name="bpm"/> closest to <paramref name="target"/>: as measured, halved or doubled (a
    /// track at 182 BPM plays against 91 BPM material).
    /// </summary>
    /// <param name="bpm">The measured tempo.</param>
    /// <param name="target">The tempo it should fit.</param>
    /// <returns>The folded tempo.</returns>
    public static double Fold(double bpm, double target)
    {
        var best = bpm;
        foreach (var reading in (ReadOnlySpan<double>)[bpm / 2, bpm * 2])
        {
            if (Math.Abs(reading - target) < Math.Abs(best - target))
            {
                best = reading;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public override string ToString() => Shape == Flat
        ? FormattableString.Invariant($"{From:0} BPM (±{Band:0.#})")
        : FormattableString.Invariant($"{Shape} {From:0}→{To:0} BPM");
}
