using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Configuration;

/// <summary>A bad setting stops the host process at start: a message naming the key and value, a non-zero exit code.</summary>
[Collection(nameof(SerialTests))]
public sealed class StartupTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("Pipeline:Throttle:Limit", "0", "Pipeline:Throttle:Limit = 0")]
    [InlineData("Pipeline:Management:Urls", "9464", "Pipeline:Management:Urls holds '9464'")]
    [InlineData("Pipeline:Cluster:Name", "two words", "Pipeline:Cluster:Name")]
    [InlineData("Pipeline:Cluster:LeaseTime", "00:00:00", "Pipeline:Cluster:LeaseTime = 00:00:00")]
    [InlineData("Pipeline:Cluster:Redis", "127.0.0.1:6379,nosuchoption=1", "Pipeline:Cluster:Redis is not a StackExchange.Redis connection string")]
    [InlineData("Pipeline:Stages:search:MaxDegreeOfParallelism", "999", "Pipeline:Stages:search:MaxDegreeOfParallelism = 999 exceeds Capacity = 64")]
    [InlineData("Pipeline:Streaming:LagBound", "0", "Pipeline:Streaming:LagBound = 0")]
    [InlineData("Pipeline:Streaming:Heartbeat", "00:00:00", "Pipeline:Streaming:Heartbeat = 00:00:00")]
    [InlineData("Pipeline:Streaming:ProgressInterval", "00:00:00", "Pipeline:Streaming:ProgressInterval = 00:00:00")]
    [InlineData("Pipeline:Streaming:Retry", "-00:00:01", "Pipeline:Streaming:Retry = -00:00:01")]
    [InlineData("Pipeline:Streaming:DisconnectGrace", "-00:00:01", "Pipeline:Streaming:DisconnectGrace = -00:00:01")]
    [InlineData("Pipeline:Streaming:MaxLag", "0", "Pipeline:Streaming:MaxLag = 0")]
    [InlineData("Pipeline:Storage:DrainTimeout", "01:00:00", "Pipeline:Storage:DrainTimeout = 01:00:00")]
    [InlineData("Pipeline:Storage:Directory", "", "Pipeline:Storage:Directory")]
    [InlineData("Pipeline:Cache:NotFoundTtl", "365.00:00:00", "Pipeline:Cache:NotFoundTtl = 365.00:00:00 must be from 00:00:00 to FoundTtl")]
    [InlineData("Pipeline:Admission:CorsOrigins:0", "https://dj.example.com/app", "Pipeline:Admission:CorsOrigins:0 = 'https://dj.example.com/app' must be an origin")]
    [InlineData("Pipeline:Auth:Tokens:carol", "", "Pipeline:Auth:Tokens:carol is empty")]
    [InlineData("Pipeline:Sandbox:Deezer:ErrorRate", "1.5", "Pipeline:Sandbox:Deezer:ErrorRate = 1.5 must be from 0 to 1")]
    [InlineData("Pipeline:Music:MaxPool", "10", "Pipeline:Music:MaxPool = 10 must be from MinPool (40) to 1000")]
    [InlineData("Pipeline:Music:PoolFactor", "0.5", "Pipeline:Music:PoolFactor = 0.5 must be from 1 to 20")]
    public async Task InvalidSetting_ExitsNonZeroNamingIt(string key, string value, string named)
    {
        var exited = await Assert.ThrowsAsync<ChildHost.ExitedException>(async () =>
        {
            await using var host = await ChildHost.StartAsync(_data.Path, new Dictionary<string, string> { [key] = value });
        });

        Assert.NotEqual(0, exited.ExitCode);
        Assert.Contains(named, exited.Output, StringComparison.Ordinal);
    }
}
