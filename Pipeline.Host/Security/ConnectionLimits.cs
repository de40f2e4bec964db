using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Pipeline.Host.Security;

/// <summary>
/// Caps Kestrel's connections below the process's open-files limit. Measured here: Kestrel that runs out of
/// descriptors spins a core and grows memory until it aborts, dropping every stream; with the cap it refuses the
/// excess at once and stays flat.
/// </summary>
internal static class ConnectionLimits
{
    /// <summary>Descriptors kept for everything but client connections: upstream sockets, files, the runtime.</summary>
    public const int Reserve = 1024;

    /// <summary>The cap for a given open-files limit: the limit less the reserve, at least 64.</summary>
    public static long CapFor(long openFiles) => Math.Max(64, openFiles - Reserve);

    /// <summary>The process's hard open-files limit, or null where it cannot be read.</summary>
    public static long? OpenFilesLimit(string limitsPath = "/proc/self/limits")
    {
        if (!File.Exists(limitsPath))
        {
            return null;
        }

        // "Max open files            20000                20000                files"
        var line = File.ReadLines(limitsPath).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var fields = line?[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 2 } && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var hard) ? hard : null;
    }

    public static void Apply(KestrelServerOptions kestrel)
    {
        if (OpenFilesLimit() is { } limit)
        {
            kestrel.Limits.MaxConcurrentConnections = CapFor(limit);
            kestrel.Limits.MaxConcurrentUpgradedConnections = CapFor(limit);
        }
    }
}
