using Pipeline.Jobs;
using Pipeline.Stages.Sequencing;

namespace Pipeline.Stages.Music;

/// <summary>A set job at one instant, as its events tell it (<see cref="SetJobView"/>).</summary>
/// <param name="Tracks">Tracks so far, in candidate order.</param>
/// <param name="LlmText">The model's text so far.</param>
/// <param name="Stages">The latest per-stage counts.</param>
/// <param name="DeadLetters">Items shed or failed, up to the job's bound.</param>
/// <param name="Set">The set, once <c>set.completed</c> is logged.</param>
public sealed record SetJobSnapshot(
    IReadOnlyList<Track> Tracks,
    string LlmText,
    IReadOnlyDictionary<string, StageCounts> Stages,
    IReadOnlyList<DeadLetter> DeadLetters,
    SetResult? Set);
