using System.ComponentModel.DataAnnotations;

namespace Pipeline.Stages.Storage;

/// <summary>Where the host keeps its files (the answer cache, the job store) and what it does with a damaged one.</summary>
public sealed class DataFolderOptions
{
    /// <summary>The configuration section bound to these options (shared with the host's storage settings, key by key).</summary>
    public const string Section = "Pipeline:Storage";

    /// <summary>The data folder; relative to the working directory. Default <c>data</c>.</summary>
    [Required]
    public string Directory { get; set; } = "data";

    /// <summary>
    /// What to do when a file does not open or read back at start: <c>Quarantine</c> (move it aside and start fresh,
    /// with an Error naming it) or <c>Fail</c> (refuse to start). Default <c>Quarantine</c>.
    /// </summary>
    public CorruptionPolicy OnCorruption { get; set; } = CorruptionPolicy.Quarantine;

    /// <summary>The full path of <paramref name="file"/> in the folder (an absolute <paramref name="file"/> stays as it is).</summary>
    /// <param name="file">A file name or path.</param>
    /// <returns>The full path.</returns>
    public string PathOf(string file) => Path.GetFullPath(Path.Combine(Directory, file));
}
