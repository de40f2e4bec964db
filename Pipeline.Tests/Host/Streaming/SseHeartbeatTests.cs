using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Host.Streaming;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Streaming;

public sealed class SseHeartbeatTests
{
    [Fact]
    public async Task OnTick_ManyQuietStreams_PingedAWaveAtATimeTheWavesSpacedOnTheClock()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var options = FixedOptions.Of(new StreamingOptions { Heartbeat = TimeSpan.FromSeconds(1) });
        using var heartbeat = new SseHeartbeat(options, time);
        var pipes = Enumerable.Range(0, 150).Select(_ => new Pipe()).ToList();
        var streams = pipes.Select(p => new SseResponseWriter(p.Writer, heartbeat, CancellationToken.None)).ToList();
        var pinged = 0;

        int Pinged()
        {
            foreach (var pipe in pipes)
            {
                if (pipe.Reader.TryRead(out var read))
                {
                    pinged += Encoding.UTF8.GetString(read.Buffer.ToArray()) == ": ping\n\n" ? 1 : 0;
                    pipe.Reader.AdvanceTo(read.Buffer.End);
                }
            }

            return pinged;
        }

        time.Advance(TimeSpan.FromSeconds(1));
        await Signals.UntilAsync(() => Pinged() >= 64);
        Assert.Equal(64, pinged);
        var step = StreamWaves.Spacing / 4;
        var second = await time.StepUntilAsync(step, () => Pinged() >= 128);
        Assert.Equal(128, pinged);
        var third = await time.StepUntilAsync(step, () => Pinged() == 150);

        // Each wave waits its spacing, so the server's sends keep up with the writes.
        Assert.True(second >= StreamWaves.Spacing && second + third >= 2 * StreamWaves.Spacing, $"waves {second} and {third} apart"); // the clock stepped on while a wave was delivered counts toward the next

        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }
}
