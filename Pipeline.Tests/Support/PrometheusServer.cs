using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeline.Tests.Support;

/// <summary>A real Prometheus (Debian's package) on 127.0.0.1, scraping one target every second, stopped on dispose.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";

    private readonly Process _process;
    private readonly TempDirectory _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, TempDirectory directory, Uri address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address, Timeout = Signals.Guard };
    }

    public static async Task<PrometheusServer> StartAsync(Uri target)
    {
        var directory = new TempDirectory();
        var config = directory.File("prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: pipeline
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var start = new ProcessStartInfo(Executable, [$"--config.file={config}", $"--storage.tsdb.path={directory.File("tsdb")}", $"--web.listen-address={address.Authority}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler said = (_, e) =>
        {
            if (e.Data?.Contains("Server is ready to receive web requests", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += said;
        process.ErrorDataReceived += said; // Prometheus logs to stderr
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, address);
        await ready.Task.Within();
        return server;
    }

    /// <summary>Evaluates an instant query now: the samples' values (NaN where Prometheus says so); throws on a query error.</summary>
    public async Task<IReadOnlyList<double>> QueryAsync(string promQl)
    {
        using var response = await _http.GetAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(promQl)}", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (response.StatusCode != HttpStatusCode.OK || body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Query failed: {promQl}: {body}");
        }

        return [.. body.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
        _directory.Dispose();
    }
}
