namespace Pipeline.Sandbox.Faults;

/// <summary>One request's draw of the sandbox's dice: four independent values in [0, 1).</summary>
/// <param name="First">The first, for its latency.</param>
/// <param name="Second">The second, for its latency.</param>
/// <param name="Third">For whether it fails.</param>
/// <param name="Fourth">For whether its body is malformed.</param>
internal readonly record struct RequestDice(double First, double Second, double Third, double Fourth);
