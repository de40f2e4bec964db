using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Pipeline.Events;

/// <summary>
/// Every event type of a set of assemblies: the record each wire type is read into, and which types end a job. Built
/// from the records' <see cref="PipelineEventTypeAttribute"/>, so adding an event type is one place.
/// </summary>
public sealed class PipelineEventTypes
{
    private readonly FrozenDictionary<string, (Type Record, bool Terminal, LagMerge Lag)> _types;

    private PipelineEventTypes(FrozenDictionary<string, (Type Record, bool Terminal, LagMerge Lag)> types) => _types = types;

    /// <summary>Every wire type known.</summary>
    public IEnumerable<string> Names => _types.Keys;

    /// <summary>The event types declared in <paramref name="assemblies"/>.</summary>
    /// <param name="assemblies">Where the event records are.</param>
    /// <returns>The registry.</returns>
    /// <exception cref="InvalidOperationException">An event record has no <see cref="PipelineEventTypeAttribute"/>, or two records claim one type.</exception>
    public static PipelineEventTypes Of(params Assembly[] assemblies)
    {
        var types = new Dictionary<string, (Type Record, bool Terminal, LagMerge Lag)>(StringComparer.Ordinal);
        foreach (var record in assemblies.Distinct().SelectMany(a => a.GetTypes()).Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(PipelineEvent))))
        {
            var declared = record.GetCustomAttribute<PipelineEventTypeAttribute>()
                ?? throw new InvalidOperationException($"The event record {record.FullName} has no [PipelineEventType].");
            if (declared.Lag == LagMerge.JoinText && record.GetProperty("Text")?.PropertyType != typeof(string))
            {
                throw new InvalidOperationException($"The event record {record.FullName} joins its text when merged for a lagging reader but has no string Text.");
            }

            foreach (var name in declared.Types)
            {
                if (!types.TryAdd(name, (record, declared.Terminal, declared.Lag)))
                {
                    throw new InvalidOperationException($"The event type '{name}' is declared by both {types[name].Record.FullName} and {record.FullName}.");
                }
            }
        }

        return new PipelineEventTypes(types.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The record an event of wire type <paramref name="name"/> is read into.</summary>
    /// <param name="name">The wire type, e.g. <c>item.shed</c>.</param>
    /// <param name="record">The record type, when known.</param>
    /// <returns>True when known.</returns>
    public bool TryGet(string name, [NotNullWhen(true)] out Type? record)
    {
        record = _types.TryGetValue(name, out var found) ? found.Record : null;
        return record is not null;
    }

    /// <summary>True when <paramref name="name"/> is a terminal event's type.</summary>
    /// <param name="name">The wire type.</param>
    /// <returns>True for <c>job.completed</c> and the other ends.</returns>
    public bool IsTerminal(string name) => _types.TryGetValue(name, out var found) && found.Terminal;

    /// <summary>How a reader that has fallen behind may receive events of wire type <paramref name="name"/>.</summary>
    /// <param name="name">The wire type.</param>
    /// <returns>The type's merge; <see cref="LagMerge.None"/> for an unknown type.</returns>
    public LagMerge LagOf(string name) => _types.TryGetValue(name, out var found) ? found.Lag : LagMerge.None;
}
