namespace Pipeline.Stages.Storage;

/// <summary>
/// What every LiteDB store here shares: the start-up check of its file (is it LiteDB's at all, was a failure damage,
/// moving a damaged one aside), closing after a failure, and how often it purges what has outlived its time.
/// </summary>
internal static class LiteDbFile
{
    /// <summary>How often a store deletes what has outlived its time (expired answers, jobs past their retention).</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Opens the file and reads it through: a file that does not open or read is damaged, and is moved aside (with its
    /// log) for a fresh one, or refused, as <paramref name="policy"/> says. Never a silently empty store.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="policy">What to do with a damaged file.</param>
    /// <param name="now">When, for a quarantined file's new name.</param>
    /// <param name="what">What the file holds, for the refusal: <c>job store</c>, <c>cache</c>.</param>
    /// <param name="records">What it counts, for the refusal: <c>jobs</c>, <c>entries</c>.</param>
    /// <param name="open">Opens the file (throwing what LiteDB throws).</param>
    /// <param name="readAll">Reads every record, calling its argument once per record counted.</param>
    /// <param name="close">Closes what a failed open or read left open.</param>
    /// <returns>Null for a sound file; otherwise why it was damaged, how many records could be read and where it went.</returns>
    /// <exception cref="InvalidOperationException">The file is damaged and <paramref name="policy"/> is <see cref="CorruptionPolicy.Fail"/>.</exception>
    public static (string Reason, int Readable, string MovedTo)? OpenChecked(
        string path, CorruptionPolicy policy, DateTimeOffset now, string what, string records, Action open, Action<Action> readAll, Action close)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(readAll);
        ArgumentNullException.ThrowIfNull(close);
        var readable = 0;
        try
        {
            if (File.Exists(path) && HeaderMissing(path) is { } missing)
            {
                throw new InvalidDataException(missing); // LiteDB would silently write a new file over it
            }

            open();
            readAll(() => readable++); // counted one by one: a damaged page stops the count where it lies
            return null;
        }
        catch (Exception e) when (IsDamage(e))
        {
            close();
            if (policy == CorruptionPolicy.Fail)
            {
                throw new InvalidOperationException($"The {what} {path} is damaged ({e.Message}); {readable} {records} could be read. Move it aside, or set Pipeline:Storage:OnCorruption to Quarantine to have the host do so.", e);
            }

            var movedTo = Quarantine(path, LogPathOf(path), now);
            open();
            return (e.Message, readable, movedTo);
        }
    }

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
