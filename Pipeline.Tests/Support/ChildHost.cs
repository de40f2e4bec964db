using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Support;

/// <summary>
/// The real host as a separate process (<c>dotnet Pipeline.Host.dll</c>) on 127.0.0.1, for what only a process shows:
/// a <c>kill -9</c>, a SIGTERM, its memory and CPU. Tests start it with fast sandbox settings on a data folder of
/// theirs; benchmarks start it as shipped. Shared by the tests and the benchmarks.
/// </summary>
internal sealed partial class ChildHost : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string? _ownedData;

    private ChildHost(Process process, Uri address, string? ownedData)
    {
        _process = process;
        Address = address;
        _ownedData = ownedData;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>What the host wrote to stdout and stderr, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = Guard };

    /// <summary>Starts the host offline on <paramref name="dataDirectory"/> with fast sandbox settings (tests), and waits until it is ready.</summary>
    public static Task<ChildHost> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Pipeline:Storage:Directory"] = dataDirectory,
            ["Pipeline:Throttle:Limit"] = "1000",
            ["Pipeline:Throttle:LaneRates:lastfm"] = "1000",
            ["Pipeline:Throttle:LaneRates:deezer"] = "1000",
            ["Pipeline:Throttle:LaneRates:spotify"] = "1000",
            ["Pipeline:Throttle:LaneSpacing:lastfm"] = "00:00:00",
            ["Pipeline:Throttle:LaneSpacing:deezer"] = "00:00:00",
        };
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic", "OpenAi" })
        {
            environment[$"Pipeline:Sandbox:{upstream}:MedianLatency"] = "00:00:00.005";
            environment[$"Pipeline:Sandbox:{upstream}:P95Latency"] = "00:00:00.010";
            environment[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        return LaunchAsync(Over(environment, settings), command: null, ownedData: null);
    }

    /// <summary>
    /// Starts the host as shipped (benchmarks): the repository's <c>config/pipeline.json</c>, a fresh data folder deleted
    /// at dispose, Warning logs, and <paramref name="settings"/> over them; <paramref name="command"/> is what
    /// <c>dotnet</c> runs instead of the host, for a baseline that answers <c>/health/ready</c> too; <paramref name="port"/>, when given, is where it listens (a host started again where it was).
    /// </summary>
    public static Task<ChildHost> StartShippedAsync(IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? command = null, int? port = null)
    {
        var data = Directory.CreateTempSubdirectory("pipeline-host-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["Pipeline:ConfigFile"] = Repository.File("config", "pipeline.json"),
            ["Pipeline:Storage:Directory"] = data,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        return LaunchAsync(Over(environment, settings), command, data, port);
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

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(Guard);
    }

    /// <summary>SIGTERM: the host's graceful stop.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Waits (bounded by <paramref name="guard"/>) for the process to exit; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan guard)
    {
        await _process.WaitForExitAsync().WaitAsync(guard);
        return _process.ExitCode;
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_ownedData is not null)
        {
            try
            {
                Directory.Delete(_ownedData, recursive: true);
            }
            catch (IOException)
            {
                // a file still held: the temp folder is cleaned by the OS
            }
        }
    }

    private static Dictionary<string, string> Over(Dictionary<string, string> defaults, IReadOnlyDictionary<string, string>? settings)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            defaults[key] = value;
        }

        return defaults;
    }

    private static async Task<ChildHost> LaunchAsync(Dictionary<string, string> settings, IReadOnlyList<string>? command, string? ownedData, int? port = null)
    {
        var address = new Uri($"http://127.0.0.1:{port ?? FreePort.Next()}");
        var start = new ProcessStartInfo("dotnet", command ?? [Path.Combine(AppContext.BaseDirectory, "Pipeline.Host.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var host = new ChildHost(Process.Start(start)!, address, ownedData);
        host._process.OutputDataReceived += (_, e) => host.Append(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host.WaitReadyAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    // Ready once it answers /health/ready (its unfinished jobs running again); bounded, and an exit ends the wait.
    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // the output's last lines are read only once this returns
                throw new ExitedException(_process.ExitCode, Output);
            }

            try
            {
                using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            if (started.Elapsed > Guard)
            {
                throw new TimeoutException($"The host was not ready in time:\n{Output}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    [GeneratedRegex(@"VmRSS:\s+(\d+) kB")]
    private static partial Regex Rss();

    /// <summary>The host stopped before it was ready.</summary>
    public sealed class ExitedException(int exitCode, string output) : Exception($"The host exited with {exitCode}:\n{output}")
    {
        public int ExitCode { get; } = exitCode;

        public string Output { get; } = output;
    }
}
