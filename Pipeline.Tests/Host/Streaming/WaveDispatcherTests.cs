using Pipeline.Host.Streaming;

namespace Pipeline.Tests.Host.Streaming;

public sealed class WaveDispatcherTests
{
    private readonly List<int> _ran = [];
    private readonly Queue<IThreadPoolWorkItem> _queued = new();

    [Fact]
    public void Take_MoreThanAWave_EachWorkItemRunsOneWaveInOrderAndQueuesTheNext()
    {
        var dispatcher = new WaveDispatcher<int>(_ran.Add, waveSize: 3, _queued.Enqueue);
        var items = new List<int> { 1, 2, 3, 4, 5, 6, 7 };

        dispatcher.Take(items);

        Assert.Empty(items);
        Assert.Empty(_ran);
        Assert.Single(_queued);
        _queued.Dequeue().Execute();
        Assert.Equal([1, 2, 3], _ran);
        Assert.Single(_queued);
        _queued.Dequeue().Execute();
        Assert.Equal([1, 2, 3, 4, 5, 6], _ran);
        Assert.Single(_queued);
        _queued.Dequeue().Execute();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], _ran);
        Assert.Empty(_queued);
    }

    [Fact]
    public void Take_WithQueueNext_TheFirstWaveQueuedAtOnceTheRestThroughQueueNext()
    {
        var later = new Queue<IThreadPoolWorkItem>();
        var dispatcher = new WaveDispatcher<int>(_ran.Add, waveSize: 2, _queued.Enqueue, later.Enqueue);

        dispatcher.Take([1, 2, 3, 4, 5]);
        _queued.Dequeue().Execute();

        Assert.Equal([1, 2], _ran);
        Assert.Empty(_queued);
        later.Dequeue().Execute();
        later.Dequeue().Execute();
        Assert.Equal([1, 2, 3, 4, 5], _ran);
        Assert.Empty(later);
    }

    [Fact]
    public void Take_WhileAWaveIsQueued_JoinsItInsteadOfQueueingAnother()
    {
        var dispatcher = new WaveDispatcher<int>(_ran.Add, waveSize: 8, _queued.Enqueue);

        dispatcher.Take([1]);
        dispatcher.Take([2]);
        Assert.Single(_queued);
        _queued.Dequeue().Execute();
        dispatcher.Take([3]);

        Assert.Equal([1, 2], _ran.Take(2));
        Assert.Single(_queued); // the run had ended, so the next item starts a new one
        _queued.Dequeue().Execute();
        Assert.Equal([1, 2, 3], _ran);
    }

    [Fact]
    public void Take_Nothing_QueuesNothing()
    {
        var dispatcher = new WaveDispatcher<int>(_ran.Add, waveSize: 8, _queued.Enqueue);

        dispatcher.Take([]);

        Assert.Empty(_queued);
    }

    [Fact]
    public async Task Take_OnTheThreadPool_RunsEveryItemOnce()
    {
        var ran = new int[1000];
        using var done = new CountdownEvent(ran.Length);
        var dispatcher = new WaveDispatcher<int>(i => { Interlocked.Increment(ref ran[i]); done.Signal(); }, waveSize: 64);

        dispatcher.Take([.. Enumerable.Range(0, 500)]);
        dispatcher.Take([.. Enumerable.Range(500, 500)]);

        Assert.True(await Task.Run(() => done.Wait(TimeSpan.FromSeconds(30))));
        Assert.All(ran, count => Assert.Equal(1, count));
    }
}
