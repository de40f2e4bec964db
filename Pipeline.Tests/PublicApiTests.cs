using Pipeline.Host;
using Pipeline.Sandbox;
using Pipeline.Stages;
using Pipeline.Tests.Support;
using Snapshooter.Xunit;

namespace Pipeline.Tests;

/// <summary>Each assembly's public surface under a snapshot: a change to it is a .snap diff to approve.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Core_PublicSurface_MatchesSnapshot() =>
        Snapshot.Match(PublicApi.Lines(typeof(PipelineServiceCollectionExtensions).Assembly));

    [Fact]
    public void Stages_PublicSurface_MatchesSnapshot() =>
        Snapshot.Match(PublicApi.Lines(typeof(MusicStagesServiceCollectionExtensions).Assembly));

    [Fact]
    public void Host_PublicSurface_MatchesSnapshot() =>
        Snapshot.Match(PublicApi.Lines(typeof(PipelineHostBuilderExtensions).Assembly));

    [Fact]
    public void Sandbox_PublicSurface_MatchesSnapshot() =>
        Snapshot.Match(PublicApi.Lines(typeof(SandboxEndpointRouteBuilderExtensions).Assembly));

    [Fact]
    public void Redis_PublicSurface_MatchesSnapshot() =>
        Snapshot.Match(PublicApi.Lines(typeof(Pipeline.Redis.RedisClusterServiceCollectionExtensions).Assembly));
}
