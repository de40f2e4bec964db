using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Tests.Support;

/// <summary>Reloadable options that never change, for a component built by hand.</summary>
internal static class FixedOptions
{
    public static ReloadableOptions<T> Of<T>(T value)
        where T : class => new(new Factory<T>(value), [], "test", new ConfigMetrics(TestMeters.Create()), NullLogger.Instance);

    private sealed class Factory<T>(T value) : IOptionsFactory<T>
        where T : class
    {
        public T Create(string name) => value;
    }
}
