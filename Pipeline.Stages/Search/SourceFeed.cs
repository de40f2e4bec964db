using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// One source's tracks for one round of the search, gathered from the moment the round starts, side by side with the
/// other sources, and read in the source's order when the pool comes to it.
/// </summary>
internal sealed class SourceFeed : IDisposable
{
    private readonly Channel<SpotifyTrack> _tracks;
    private readonly CancellationTokenSource _stop = new();

    private SourceFeed(CandidateSource source, int wanted, int pageLimit, CancellationToken cancellationToken)
    {
        Source = source.Name;

        // A source gives whole pages: at most a page more than it is asked for.
        _tracks = Channel.CreateBounded<SpotifyTrack>(new BoundedChannelOptions(wanted + pageLimit) { SingleReader = true, SingleWriter = true });
        Completion = GatherAsync(source, wanted, cancellationToken);
    }

    /// <summary>The source's name.</summary>
    public string Source { get; }

    /// <summary>Ends when the source has given its tracks, failed, or was stopped; never faults.</summary>
    public Task Completion { get; }

    /// <summary>Starts gathering <paramref name="wanted"/> tracks from <paramref name="source"/>.</summary>
    public static SourceFeed Start(CandidateSource source, int wanted, int pageLimit, CancellationToken cancellationToken) =>
        new(source, wanted, pageLimit, cancellationToken);

    /// <summary>Waits for the next track; false once the source has given them all. Throws what the source threw (the job's cancellation).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _tracks.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>The next track in the source's order, if it is in.</summary>
    public bool TryRead([MaybeNullWhen(false)] out SpotifyTrack track) => _tracks.Reader.TryRead(out track);

    /// <summary>Stops every feed (the pool needs no more, or the job ended) and waits for the calls they have running.</summary>
    public static async Task StopAsync(IEnumerable<SourceFeed> feeds)
    {
        var running = feeds.ToList();
        foreach (var feed in running)
        {
            await feed._stop.CancelAsync();
        }

        await Task.WhenAll(running.Select(f => f.Completion));
        foreach (var feed in running)
        {
            feed.Dispose();
        }
    }

    /// <summary>Releases the stop signal; call once <see cref="Completion"/> has ended (as <see cref="StopAsync"/> does).</summary>
    public void Dispose() => _stop.Dispose();

    private async Task GatherAsync(CandidateSource source, int wanted, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var track in source.NextAsync(wanted, cancellationToken))
            {
                if (_stop.IsCancellationRequested)
                {
                    break; // no more calls: those running finish first
                }

                await _tracks.Writer.WriteAsync(track, _stop.Token);
            }

            _tracks.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _tracks.Writer.TryComplete(e);
        }
    }
}
