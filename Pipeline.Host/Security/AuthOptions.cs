namespace Pipeline.Host.Security;

/// <summary>API bearer tokens. Set them from the environment or a secrets store (<c>Pipeline__Auth__Tokens__alice=…</c>), never in a committed file.</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Auth";

    /// <summary>Tokens by client name. None: the API is open and the host listens on loopback only.</summary>
    public Dictionary<string, string> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True when at least one token is set (an empty entry is refused at start).</summary>
    public bool Enabled => Tokens.Count > 0;
}
