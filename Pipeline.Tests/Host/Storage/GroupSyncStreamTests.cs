using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Storage;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Storage;

public sealed class GroupSyncStreamTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _time = new();
    private int _syncs;

    public void Dispose() => _data.Dispose();

    private GroupSyncStream Open(TimeSpan interval) =>
        new(_data.File("jobs-log.db"), interval, _time, () => _syncs++);

    private static void WritePage(Stream stream, byte value)
    {
        var page = new byte[8192];
        Array.Fill(page, value);
        stream.Write(page, 0, page.Length);
    }

    [Fact]
    public void FlushesWithinAnInterval_OneSyncWhenItIsUp()
    {
        using var log = Open(Interval);

        WritePage(log, 1);
        log.Flush();
        Assert.Equal(1, _syncs); // the first sync is not delayed

        _time.Advance(TimeSpan.FromMilliseconds(10));
        WritePage(log, 2);
        log.Flush();
        WritePage(log, 3);
        log.Flush();
        _time.Advance(TimeSpan.FromMilliseconds(89));
        Assert.Equal(1, _syncs);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _syncs);

        _time.Advance(TimeSpan.FromSeconds(1));
        log.Flush(); // nothing written since
        Assert.Equal(2, _syncs);

        WritePage(log, 4);
        log.Flush(); // an interval after the last sync: at once
        Assert.Equal(3, _syncs);
    }

    [Fact]
    public void ZeroInterval_SyncsAtEveryFlushAfterAWrite()
    {
        using var log = Open(TimeSpan.Zero);

        for (var i = 0; i < 3; i++)
        {
            WritePage(log, (byte)i);
            log.Flush();
            log.Flush();
        }

        Assert.Equal(3, _syncs);
    }

    [Fact]
    public void AFlushHandsThePagesToTheOs_BeforeTheirSync()
    {
        using var log = Open(Interval);
        WritePage(log, 1);
        log.Flush();
        WritePage(log, 7);
        log.Flush();

        using var reader = new FileStream(_data.File("jobs-log.db"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var second = new byte[8192];
        reader.Position = 8192;
        reader.ReadExactly(second);

        Assert.Equal(1, _syncs);
        Assert.All(second, b => Assert.Equal(7, b));
        Assert.Equal(16384, log.Length);
    }

    [Fact]
    public void Dispose_SyncsWhatIsPending_AndTheTimerThenFindsNothingToDo()
    {
        var log = Open(Interval);
        WritePage(log, 1);
        log.Flush();
        WritePage(log, 2);
        log.Flush();

        log.Dispose();
        Assert.Equal(2, _syncs);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, _syncs);
        Assert.Equal(16384, new FileInfo(_data.File("jobs-log.db")).Length);
    }

    [Fact]
    public void ReadsSeeWhatWasWritten_AtAnyPosition()
    {
        using var log = Open(Interval);
        WritePage(log, 1);
        WritePage(log, 2);
        log.Position = 0;
        WritePage(log, 3);

        var page = new byte[8192];
        log.Position = 8192;
        log.ReadExactly(page);
        Assert.All(page, b => Assert.Equal(2, b));
        log.Seek(0, SeekOrigin.Begin);
        log.ReadExactly(page);
        Assert.All(page, b => Assert.Equal(3, b));

        log.SetLength(0);
        Assert.Equal(0, log.Length);
    }
}
