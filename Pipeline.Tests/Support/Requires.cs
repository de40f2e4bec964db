namespace Pipeline.Tests.Support;

/// <summary>
/// What a test needs from the machine. Where it is missing the test reports itself skipped with the reason, never
/// passed; where CI has asked for it (an environment variable .ci/run sets), a missing one fails the test instead.
/// </summary>
internal static class Requires
{
    /// <summary>Debian's chromium, for the browser tests (Playwright).</summary>
    public static void Chromium() =>
        Need(File.Exists(Support.Chromium.Path), $"{Support.Chromium.Path} is not installed (apt-get install chromium)", "PIPELINE_REQUIRE_BROWSER");

    /// <summary>Debian's prometheus, for the dashboard tests.</summary>
    public static void Prometheus() =>
        Need(File.Exists(PrometheusServer.Executable), $"{PrometheusServer.Executable} is not installed (apt-get install prometheus)", "PIPELINE_REQUIRE_PROMETHEUS");

    /// <summary>Debian's redis-server, for the cluster tests.</summary>
    public static void Redis() =>
        Need(File.Exists(RedisServer.Executable), $"{RedisServer.Executable} is not installed (apt-get install redis-server)", "PIPELINE_REQUIRE_REDIS");

    /// <summary>Debian's nginx, for the tests behind the load balancer.</summary>
    public static void Nginx() =>
        Need(File.Exists(NginxServer.Executable), $"{NginxServer.Executable} is not installed (apt-get install nginx)", "PIPELINE_REQUIRE_NGINX");

    private static void Need(bool present, string missing, string requiredBy)
    {
        Assert.True(present || Environment.GetEnvironmentVariable(requiredBy) is null, $"{missing}, and {requiredBy} requires it here");
        Skip.IfNot(present, missing);
    }
}
