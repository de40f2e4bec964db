using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>A small tmpfs the test mounts itself on a fresh folder (root only), grows live, and unmounts at dispose.</summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. <c>3m</c>); null, with the reason, where mounting is refused.</summary>
    public static TmpfsMount? TryMount(string size, out string reason)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipeline-tmpfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        if (code == 0)
        {
            reason = "";
            return new TmpfsMount(path);
        }

        Directory.Delete(path);
        reason = $"mounting a tmpfs was refused (mount exited {code}: {output.Trim()}); the test needs root, as CI has";
        return null;
    }

    /// <summary>Grows (or shrinks) the mounted filesystem live, as an operator freeing or adding space would.</summary>
    public void Resize(string size)
    {
        var (code, output) = Run("mount", "-o", $"remount,size={size}", Path);
        Assert.True(code == 0, $"remount failed: {output}");
    }

    /// <summary>Writes a file until the filesystem is full (ENOSPC); returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        using var file = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
            // full
        }

        return filler;
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static (int Code, string Output) Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
