using Pipeline.Stages.Intent;

namespace Pipeline.Stages.Sequencing;

/// <summary>The finished set in play order, with its transitions, how well it answers the request, and what was left out.</summary>
/// <param name="Tracks">The tracks in play order.</param>
/// <param name="Quality">Measures of the set as a DJ would judge it.</param>
/// <param name="Curve">The tempo curve the set follows.</param>
/// <param name="Shortfall">When the catalog had too few tracks of the asked kind: what it had and what the set used instead.</param>
/// <param name="Rejected">Pool tracks left out, counted by reason.</param>
/// <param name="LeftOut">Each pool track left out, with its reason.</param>
/// <param name="Review">What became of the model's answer: its notes used, its order used or refused and why; null before the model.</param>
public sealed record SetResult(
    IReadOnlyList<SetTrack> Tracks,
    SetQuality Quality,
    TempoCurve Curve,
    string? Shortfall,
    IReadOnlyDictionary<string, int> Rejected,
    IReadOnlyList<LeftOutTrack> LeftOut,
    string? Review = null);

/// <summary>One track of the set.</summary>
/// <param name="Position">Its place, from 1.</param>
/// <param name="Id">The upstream's id (Spotify).</param>
/// <param name="Uri">The track's URI, e.g. <c>spotify:track:…</c>.</param>
/// <param name="Title">Title.</param>
/// <param name="Artists">Artist names.</param>
/// <param name="Bpm">The tempo reading the set uses: as measured, or halved or doubled to fit the curve.</param>
/// <param name="Camelot">Camelot key, when known.</param>
/// <param name="Energy">Energy 0–1, when known.</param>
/// <param name="ReleaseYear">Release year, when known.</param>
/// <param name="Tags">Tags, strongest first.</param>
/// <param name="DurationMs">Length in ms.</param>
/// <param name="TargetBpm">The curve's tempo at this position.</param>
/// <param name="Transition">The move into the next track; null for the last.</param>
public sealed record SetTrack(
    int Position,
    string Id,
    string Uri,
    string Title,
    IReadOnlyList<string> Artists,
    double? Bpm,
    string? Camelot,
    double? Energy,
    int? ReleaseYear,
    IReadOnlyList<string> Tags,
    int DurationMs,
    double TargetBpm,
    SetTransition? Transition)
{
    /// <summary>The first artist.</summary>
    public string Artist => Artists.Count > 0 ? Artists[0] : "";
}

/// <summary>The move from one track into the next.</summary>
/// <param name="TempoStep">Change of tempo, BPM (folded readings), when both are known.</param>
/// <param name="KeyRelation"><c>same</c>, <c>adjacent</c>, <c>relative</c>, <c>adventurous</c>, <c>clash</c> or <c>unknown</c>.</param>
/// <param name="Mix">The technique the step and keys allow: <c>blend</c>, <c>short blend</c>, <c>drums-only blend</c>, <c>echo out</c> or <c>cut</c>.</param>
/// <param name="Note">The model's note on the transition, when it wrote one that fits the step.</param>
public sealed record SetTransition(double? TempoStep, string KeyRelation, string Mix, string? Note = null);

/// <summary>How the set measures against the request and mixing practice.</summary>
/// <param name="InTempoShare">Share of tracks within ±4 BPM (folded) of the curve.</param>
/// <param name="KeyCompatibleShare">Share of transitions between compatible keys (same, adjacent, relative).</param>
/// <param name="LargestStep">The largest tempo step between neighbours, BPM.</param>
/// <param name="ArtistsRepeated">Artists with more than one track.</param>
/// <param name="DurationMs">The set's length.</param>
/// <param name="MatchShare">Share of tracks matching the asked styles and decade.</param>
public sealed record SetQuality(double InTempoShare, double KeyCompatibleShare, double LargestStep, int ArtistsRepeated, long DurationMs, double MatchShare)
{
    /// <summary>The measures of a set in play order; the share matching the request comes from its candidates.</summary>
    internal static SetQuality Of(IReadOnlyList<SetTrack> tracks, double matchShare)
    {
        var n = tracks.Count;
        var steps = tracks.Where(t => t.Transition?.TempoStep is not null).Select(t => Math.Abs(t.Transition!.TempoStep!.Value)).ToList();
        return new SetQuality(
            n == 0 ? 0 : Math.Round((double)tracks.Count(t => t.Bpm is { } b && Math.Abs(b - t.TargetBpm) <= SetSequencer.InTempo) / n, 3),
            n < 2 ? 1 : Math.Round((double)tracks.Count(t => t.Transition is { } x && Music.Camelot.IsCompatible(x.KeyRelation)) / (n - 1), 3),
            steps.Count == 0 ? 0 : steps.Max(),
            tracks.GroupBy(t => t.Artist.ToLowerInvariant()).Count(g => g.Count() > 1),
            tracks.Sum(t => (long)t.DurationMs),
            matchShare);
    }
}

/// <summary>A pool track the set does not use, and why.</summary>
/// <param name="Id">The upstream's id.</param>
/// <param name="Title">"Artist – Title".</param>
/// <param name="Reason"><c>no_tempo</c>, <c>style</c>, <c>decade</c>, <c>mood</c>, <c>artist_limit</c>, <c>tempo</c> or <c>surplus</c>.</param>
public sealed record LeftOutTrack(string Id, string Title, string Reason);
