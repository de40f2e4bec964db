namespace Pipeline.Tests.Support;

/// <summary>The damage a file suffers on a real disk: cut short, emptied, overwritten in the middle, or never a database at all.</summary>
internal static class DamagedFiles
{
    public static TheoryData<string> Kinds => ["truncated", "empty", "random bytes in the middle", "not a LiteDB file"];

    public static void Damage(string path, string damage)
    {
        var length = new FileInfo(path).Length;
        switch (damage)
        {
            case "truncated":
                using (var file = File.OpenWrite(path))
                {
                    file.SetLength(100);
                }

                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "random bytes in the middle":
                using (var file = File.OpenWrite(path))
                {
                    var noise = new byte[length - 16_384];
                    new Random(7).NextBytes(noise);
                    file.Position = 8192;
                    file.Write(noise);
                }

                break;
            default:
                File.WriteAllText(path, "these are the notes of a DJ, not a database\n");
                break;
        }
    }
}
