namespace Pipeline.Stages.Music;

/// <summary>The Camelot wheel: harmonic-mixing notation for a key and mode (8A = A minor, 8B = C major).</summary>
public static class Camelot
{
    // Index: pitch class 0 (C) .. 11 (B).
    private static readonly int[] Major = [8, 3, 10, 5, 12, 7, 2, 9, 4, 11, 6, 1];
    private static readonly int[] Minor = [5, 12, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10];

    /// <summary>The Camelot code of a Spotify key (0–11, -1 none) and mode (1 major, 0 minor), or null.</summary>
    /// <param name="key">Pitch class.</param>
    /// <param name="mode">1 major, 0 minor.</param>
    /// <returns>E.g. <c>8A</c>.</returns>
    public static string? From(int key, int mode) =>
        key is < 0 or > 11 ? null : mode == 1 ? $"{Major[key]}B" : $"{Minor[key]}A";

    /// <summary>
    /// How two keys mix: <c>same</c>, <c>adjacent</c> (±1, same letter), <c>relative</c> (the A/B swap),
    /// <c>adventurous</c> (±1 with the other letter, ±2 with the same), <c>clash</c>, or <c>unknown</c>.
    /// </summary>
    /// <param name="a">The outgoing key.</param>
    /// <param name="b">The incoming key.</param>
    /// <returns>The relation.</returns>
    public static string Relation(string? a, string? b)
    {
        if (!TryParse(a, out var na, out var la) || !TryParse(b, out var nb, out var lb))
        {
            return "unknown";
        }

        var around = Math.Abs(na - nb);
        around = Math.Min(around, 12 - around);
        return (around, la == lb) switch
        {
            (0, true) => "same",
            (1, true) => "adjacent",
            (0, false) => "relative",
            (1, false) or (2, true) => "adventurous",
            _ => "clash",
        };
    }

    /// <summary>True for the moves that mix smoothly: the same key, a neighbour on the wheel, or the relative major/minor.</summary>
    /// <param name="relation">A <see cref="Relation"/>.</param>
    /// <returns>True when compatible.</returns>
    public static bool IsCompatible(string relation) => relation is "same" or "adjacent" or "relative";

    private static bool TryParse(string? code, out int number, out char letter)
    {
        number = 0;
        letter = ' ';
        if (code is not { Length: 2 or 3 } || !int.TryParse(code.AsSpan(0, code.Length - 1), out number) || number is < 1 or > 12)
        {
            return false;
        }

        letter = code[^1];
        return letter is 'A' or 'B';
    }
}
