namespace Pipeline.Stages.Storage;

/// <summary>The start-up checks of a LiteDB file: is it LiteDB's at all, was a failure damage, and moving a damaged one aside.</summary>
public static class LiteDbFile
{
    /// <summary>Why the file at <paramref name="path"/> is not a LiteDB file (its first page holds LiteDB's signature), or null.</summary>
    /// <param name="path">An existing file.</param>
    /// <returns>The reason, or null for a file that begins as LiteDB's do.</returns>
    public static string? HeaderMissing(string path)
    {
        const string signature = "** This is a LiteDB file **";
        const int page = 8192, at = 32;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (file.Length < page)
        {
            return file.Length == 0 ? "the file is empty" : $"the file is {file.Length} bytes, shorter than LiteDB's first page";
        }

        var header = new byte[at + signature.Length];
        file.ReadExactly(header);
        return System.Text.Encoding.ASCII.GetString(header, at, signature.Length) == signature ? null : "the file does not begin with LiteDB's header";
    }

    /// <summary>A damaged file fails in whatever way its bytes lead LiteDB; one the OS will not open or read is not damaged.</summary>
    /// <param name="failure">What opening or reading the file threw.</param>
    /// <returns>True when the file's bytes are at fault.</returns>
    public static bool IsDamage(Exception failure) => failure switch
    {
        EndOfStreamException => true,
        IOException or UnauthorizedAccessException or OutOfMemoryException => false,
        _ => true,
    };

    /// <summary>Moves a damaged file and its log aside as <c>&lt;name&gt;.corrupt-&lt;UTC time&gt;</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="logPath">Its LiteDB log file, moved along when it exists.</param>
    /// <param name="now">The time the new names carry.</param>
    /// <returns>Where the file went.</returns>
    public static string Quarantine(string path, string logPath, DateTimeOffset now)
    {
        var suffix = ".corrupt-" + now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var file in new[] { path, logPath }.Where(File.Exists))
        {
            File.Move(file, file + suffix);
        }

        return path + suffix;
    }

    /// <summary>The log file LiteDB keeps beside <paramref name="path"/>: <c>jobs.db</c> logs to <c>jobs-log.db</c>.</summary>
    /// <param name="path">The database file.</param>
    /// <returns>The log file's path.</returns>
    public static string LogPathOf(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));

    /// <summary>
    /// Closes a database and the files under it as far as they will close: after an I/O error the file is given up on,
    /// and its last whole commit is what a reopen reads back.
    /// </summary>
    /// <param name="parts">The database first, then its files; nulls are skipped.</param>
    public static void CloseQuietly(params IDisposable?[] parts)
    {
        foreach (var part in parts)
        {
            try
            {
                part?.Dispose();
            }
            catch (Exception e) when (e is LiteDB.LiteException or IOException or ObjectDisposedException)
            {
                // Given up on, as a crash would leave it.
            }
        }
    }
}
