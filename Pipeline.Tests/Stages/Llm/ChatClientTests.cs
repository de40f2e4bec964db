using System.Text;
using Microsoft.Extensions.AI;
using Pipeline.Host.Sandbox;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Stages.Llm;

public sealed class ChatClientTests
{
    private static readonly string Table = SetTable.Write(
    [
        new(1, "Artist A – Sunset", 126, "9A", 0.8, ["house"]),
        new(2, "Artist B – Dusk", 122, "8A", 0.6, ["deep house"]),
        new(3, "Artist C – Glow", 124, "8A", 0.7, ["house", "chill"]),
    ]);

    [Theory]
    [InlineData("Anthropic", "anthropic")]
    [InlineData("OpenAi", "openai")]
    public async Task GetStreamingResponse_Provider_StreamsTheSandboxAnswerHoldingOneLaneSlot(string provider, string lane)
    {
        await using var upstreams = await UpstreamHarness.StartAsync(settings: new Dictionary<string, string?> { ["Pipeline:Llm:Provider"] = provider });
        var chat = upstreams.Get<IChatClient>();
        var job = upstreams.Jobs.Start();
        var text = new StringBuilder();
        var updates = 0;
        var slotsDuringStream = new List<int>();

        using (UpstreamRequest.Use(job))
        {
            await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.System, "You are a DJ."), new ChatMessage(ChatRole.User, "Order a set:\n" + Table)]))
            {
                text.Append(update.Text);
                updates++;
                slotsDuringStream.Add(upstreams.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == lane).InUse);
            }
        }

        Assert.Equal(SandboxDj.Answer(Table), text.ToString());
        Assert.True(updates > 20, $"{updates} updates: the answer should arrive token by token");
        Assert.All(slotsDuringStream.Take(updates - 3), n => Assert.Equal(1, n));
        await Signals.UntilAsync(() => upstreams.Throttle.GetSnapshot().Lanes.Single(l => l.Lane == lane).InUse == 0);
        Assert.Equal(1, job.Budget.Used);
        Assert.Single(upstreams.Requests(lane));
    }

    [Fact]
    public void SandboxDj_Answer_OrdersByRisingTempoAndCompatibleKeys()
    {
        var answer = SandboxDj.Answer(Table);

        var dusk = answer.IndexOf("Dusk", StringComparison.Ordinal);
        var glow = answer.IndexOf("Glow", StringComparison.Ordinal);
        var sunset = answer.IndexOf("Sunset", StringComparison.Ordinal);
        Assert.True(dusk < glow && glow < sunset, answer);
        Assert.Contains("moves from 122 to 126 BPM", answer);
        Assert.Contains("same key (8A)", answer);
    }
}
