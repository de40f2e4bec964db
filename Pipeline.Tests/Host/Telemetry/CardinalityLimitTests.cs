using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Host.Telemetry;
using Pipeline.Telemetry;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>The export keeps at most <see cref="TelemetryServiceCollectionExtensions.CardinalityLimit"/> tag combinations a metric, and loses no count beyond them.</summary>
[Collection(nameof(SerialTests))]
public sealed partial class CardinalityLimitTests
{
    private const int Combinations = TelemetryServiceCollectionExtensions.CardinalityLimit + 44;

    [GeneratedRegex(@"^pipeline_test_tagged_total\{(?<tags>[^}]*)\} (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex Series();

    [Fact]
    public async Task Export_MoreTagCombinationsThanTheLimit_TheRestCountedUnderOverflow()
    {
        using var host = new HostServer();
        using var http = host.CreateClient();
        var counter = host.Services.GetRequiredService<IMeterFactory>().Create(PipelineTelemetry.MeterName).CreateCounter<long>("pipeline.test.tagged");

        for (var i = 0; i < Combinations; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("n", i));
        }

        var series = Series().Matches(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)))
            .Select(m => (Overflow: m.Groups["tags"].Value.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal), Value: long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.InRange(series.Count(s => !s.Overflow), TelemetryServiceCollectionExtensions.CardinalityLimit - 1, TelemetryServiceCollectionExtensions.CardinalityLimit);
        Assert.Single(series, s => s.Overflow);
        Assert.Equal(Combinations, series.Sum(s => s.Value));
    }
}
