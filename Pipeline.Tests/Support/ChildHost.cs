using System.Diagnostics;
using System.Text;

namespace Pipeline.Tests.Support;

/// <summary>
/// The real host as a separate process (<c>dotnet Pipeline.Host.dll</c>) on 127.0.0.1, offline, on a given data
/// folder: for what only a process shows, a <c>kill -9</c> or a SIGTERM.
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildHost(Process process, Uri address)
    {
        _process = process;
        Address = address;
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

    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = Signals.Guard };

    /// <summary>Starts the host on a free loopback port and waits until it is ready.</summary>
    public static async Task<ChildHost> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Pipeline.Host.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Pipeline__Storage__Directory"] = dataDirectory,
            ["Pipeline__Throttle__Limit"] = "1000",
            ["Pipeline__Throttle__LaneRates__lastfm"] = "1000",
            ["Pipeline__Throttle__LaneRates__deezer"] = "1000",
            ["Pipeline__Throttle__LaneRates__spotify"] = "1000",
            ["Pipeline__Throttle__LaneSpacing__lastfm"] = "00:00:00",
            ["Pipeline__Throttle__LaneSpacing__deezer"] = "00:00:00",
        };
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic", "OpenAi" })
        {
            environment[$"Pipeline__Sandbox__{upstream}__MedianLatency"] = "00:00:00.005";
            environment[$"Pipeline__Sandbox__{upstream}__P95Latency"] = "00:00:00.010";
            environment[$"Pipeline__Sandbox__{upstream}__QuotaLimit"] = "0";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var host = new ChildHost(Process.Start(start)!, address);
        host._process.OutputDataReceived += (_, e) => host.Append(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        await host.WaitReadyAsync();
        return host;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().Within();
    }

    /// <summary>SIGTERM: the host's graceful stop.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Waits (bounded by <paramref name="guard"/>) for the process to exit; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan guard)
    {
        await _process.WaitForExitAsync().WaitAsync(guard);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>The host stopped before it was ready.</summary>
    public sealed class ExitedException(int exitCode, string output) : Exception($"The host exited with {exitCode}:\n{output}")
    {
        public int ExitCode { get; } = exitCode;

        public string Output { get; } = output;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line?.Contains("Now listening on", StringComparison.Ordinal) == true)
        {
            _listening.TrySetResult();
        }
    }

    // The host says when it listens (nothing to ask before), then answers ready once its unfinished jobs run again.
    private async Task WaitReadyAsync()
    {
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(_listening.Task, exited).Within() == exited)
        {
            throw new ExitedException(_process.ExitCode, Output);
        }

        using var http = CreateClient();
        try
        {
            await Signals.UntilAsync(async () =>
            {
                using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return ready.IsSuccessStatusCode;
            });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The host was not ready in time:\n{Output}");
        }
    }
}
