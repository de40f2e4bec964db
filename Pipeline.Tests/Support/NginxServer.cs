using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Support;

/// <summary>
/// Debian's nginx running the shipped <c>config/nginx.conf</c> on 127.0.0.1, its three hosts' ports and its own listen
/// port swapped for the test's (free ports), each answer naming the host that served it (<c>X-Upstream</c>); in a
/// temporary prefix, stopped by its PID on dispose. Shared by the tests and the benchmarks.
/// </summary>
internal sealed partial class NginxServer : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/nginx";

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _prefix;

    private NginxServer(Process process, string prefix, int port)
    {
        (_process, _prefix) = (process, prefix);
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = Guard };

    public static async Task<NginxServer> StartAsync(IReadOnlyList<int> hostPorts)
    {
        var prefix = Directory.CreateTempSubdirectory("pipeline-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        var port = FreePort.Next();
        var shipped = await File.ReadAllTextAsync(Repository.File("config", "nginx.conf"));
        var hosts = 0;
        var config = HostLine().Replace(shipped, m => $"server 127.0.0.1:{hostPorts[hosts++].ToString(CultureInfo.InvariantCulture)}{m.Groups[1].Value}");
        if (hosts != hostPorts.Count)
        {
            throw new InvalidOperationException($"config/nginx.conf names {hosts} hosts; {hostPorts.Count} were given.");
        }

        config = config.Replace("listen 127.0.0.1:8080;", $"listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};", StringComparison.Ordinal)
            .Replace("        location / {\n", "        location / {\n            add_header X-Upstream $upstream_addr always;\n", StringComparison.Ordinal);
        var path = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(path, config);

        var start = new ProcessStartInfo(Executable, ["-p", prefix, "-c", path])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new NginxServer(process, prefix, port);
        var deadline = DateTime.UtcNow + Guard;
        while (!await ListensAsync(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"nginx did not listen on {port} (exited: {process.HasExited}).");
            }

            await Task.Yield();
        }

        return server;
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Guard);
        }

        _process.Dispose();
        Directory.Delete(_prefix, recursive: true);
    }

    [GeneratedRegex(@"server 127\.0\.0\.1:508\d( [^;]*;)")]
    private static partial Regex HostLine();
}
