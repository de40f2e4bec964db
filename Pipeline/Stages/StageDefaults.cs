namespace Pipeline.Stages;

/// <summary>A stage's built-in options, applied before <c>Pipeline:Stages:{name}</c> so configuration still overrides them.</summary>
/// <param name="Name">The stage.</param>
/// <param name="Configure">Sets the defaults.</param>
internal sealed record StageDefaults(string Name, Action<StageOptions> Configure);
