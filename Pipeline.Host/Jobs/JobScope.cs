using System.Collections;

namespace Pipeline.Host.Jobs;

/// <summary>The logging scope of a job's work: a <c>JobId</c> property on every line logged inside it.</summary>
internal sealed class JobScope(string jobId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] => index == 0 ? new("JobId", jobId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "JobId:" + jobId;
}
