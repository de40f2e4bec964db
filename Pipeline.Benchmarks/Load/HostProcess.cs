using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// The real host as its own process (<c>dotnet Pipeline.Host.dll</c>, built with the benchmarks) on 127.0.0.1, with the
/// repository's <c>config/pipeline.json</c>, a fresh data folder and the given overrides; killed on dispose.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;

    private HostProcess(Process process, Uri address, string data)
    {
        _process = process;
        Address = address;
        _data = data;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <param name="settings">Configuration overrides, passed as environment variables.</param>
    /// <param name="command">What <c>dotnet</c> runs instead of the host, for a baseline that answers <c>/health/ready</c> too.</param>
    public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? command = null)
    {
        var port = FreePort.Next();
        var address = new Uri($"http://127.0.0.1:{port}");
        var data = Directory.CreateTempSubdirectory("pipeline-bench-").FullName;
        var start = new ProcessStartInfo("dotnet", command ?? [Path.Combine(AppContext.BaseDirectory, "Pipeline.Host.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["Pipeline__ConfigFile"] = Repository.File("config", "pipeline.json");
        start.Environment["Pipeline__Storage__Directory"] = data;
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, address, data);
        using var http = new HttpClient { BaseAddress = address };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException) when (attempt < 600 && !process.HasExited)
            {
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Resident set size of the host now, in MiB.</summary>
    public double RssMiB()
    {
        var status = File.ReadAllText($"/proc/{_process.Id}/status");
        return long.Parse(Rss().Match(status).Groups[1].Value, CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>CPU time the host has used, user + system.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>The sum of a counter (or gauge) over all its series in <c>/metrics</c>, optionally only series whose labels contain <paramref name="having"/>.</summary>
    public static async Task<double> MetricAsync(HttpClient http, string name, string? having = null)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => having is null || l.Contains(having, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"VmRSS:\s+(\d+) kB")]
    private static partial Regex Rss();
}
