using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>A real redis-server (Debian's package) on 127.0.0.1 on a free port, without persistence, stopped by its PID on dispose.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The connection string of <c>Pipeline:Cluster:Redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server on <paramref name="port"/> (a free one when null). With <paramref name="dataDirectory"/> it keeps
    /// an append-only file there, each write synced before it is answered, so one started again on that folder has
    /// everything the last answered, as a Redis run for cluster jobs would; without, it keeps nothing.
    /// </summary>
    public static async Task<RedisServer> StartAsync(int? port = null, string? dataDirectory = null)
    {
        var chosen = port ?? FreePort.Next();
        string[] persistence = dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", Directory.CreateDirectory(dataDirectory).FullName];
        var start = new ProcessStartInfo(Executable, ["--bind", "127.0.0.1", "--port", chosen.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", .. persistence, "--protected-mode", "yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Ready to accept connections", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited ({process.ExitCode}) before it was ready."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, chosen);
        try
        {
            await ready.Task.WaitAsync(Guard);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Stops the server at once (kill -9): Redis gone, as a crash or a cut network would leave it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(Guard);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
