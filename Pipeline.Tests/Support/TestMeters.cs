using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Pipeline.Tests.Support;

/// <summary>A meter factory of its own for a test that builds a component by hand.</summary>
internal static class TestMeters
{
    public static IMeterFactory Create() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
}
