namespace Pipeline.Tests.Support;

/// <summary>Tests that measure timing from outside (request logs of real sockets) run with no other test beside them.</summary>
[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public sealed class SerialTests;
