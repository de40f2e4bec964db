using System.Text;
using Microsoft.Extensions.AI;
using Pipeline.Sandbox.Upstreams;
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

    private static readonly string[] InOrder = ["Sunset", "Dusk", "Glow", "Night"];

    [Fact]
    public void SandboxDj_Answer_KeepsTheOrderGivenAndCallsOnlySmoothCompatibleStepsBlends()
    {
        var answer = SandboxDj.Answer(SetTable.Write(
        [
            new(1, "Artist A – Sunset", 122, "8A", 0.6, ["house"]),
            new(2, "Artist B – Dusk", 124, "9A", 0.7, ["house"]),
            new(3, "Artist C – Glow", 124, "3B", 0.7, ["house"]),
            new(4, "Artist D – Night", 140, "3B", 0.9, ["techno"]),
        ]));

        var positions = InOrder.Select(t => answer.IndexOf(t, StringComparison.Ordinal)).ToList();
        Assert.Equal(positions.Order(), positions); // the sequencer's order, kept
        var notes = answer.Split('\n').Where(l => l.TrimStart().StartsWith('→')).ToList();
        Assert.Equal(3, notes.Count);
        Assert.Contains("blend", notes[0], StringComparison.Ordinal); // +2 BPM, 8A to 9A
        Assert.DoesNotContain("blend", notes[1], StringComparison.Ordinal); // 9A to 3B clashes
        Assert.DoesNotContain("blend", notes[2], StringComparison.Ordinal); // +16 BPM
        Assert.Contains("opening at 122 and closing at 140 BPM", answer, StringComparison.Ordinal);
    }
}
