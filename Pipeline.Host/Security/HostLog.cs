namespace Pipeline.Host.Security;

/// <summary>The host's start-up log lines.</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "No API token is configured (Pipeline:Auth:Tokens): the API is open, so the host listens on loopback only ({Urls})")]
    public static partial void OpenApiOnLoopback(ILogger logger, string urls);
}
