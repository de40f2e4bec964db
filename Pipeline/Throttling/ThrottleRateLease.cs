using System.Threading.RateLimiting;

namespace Pipeline.Throttling;

/// <summary>A rate permit, or a refusal carrying its reason and a retry-after hint.</summary>
internal sealed class ThrottleRateLease : RateLimitLease
{
    private static readonly string[] RejectedMetadata = [MetadataName.ReasonPhrase.Name, MetadataName.RetryAfter.Name];

    private ThrottleRateLease(bool acquired, long grantedAt, long sequence, ThrottleRejectionReason reason, TimeSpan? retryAfter)
    {
        IsAcquired = acquired;
        GrantedAt = grantedAt;
        Sequence = sequence;
        Reason = reason;
        RetryAfter = retryAfter;
    }

    public override bool IsAcquired { get; }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> at which the permit started.</summary>
    public long GrantedAt { get; }

    /// <summary>The limiter's number for this permit (its last one, for a multi-permit lease).</summary>
    public long Sequence { get; }

    public ThrottleRejectionReason Reason { get; }

    public TimeSpan? RetryAfter { get; }

    public override IEnumerable<string> MetadataNames => IsAcquired ? [] : RejectedMetadata;

    public static ThrottleRateLease Granted(long at, long sequence) => new(true, at, sequence, ThrottleRejectionReason.None, null);

    public static ThrottleRateLease Rejected(ThrottleRejectionReason reason, TimeSpan? retryAfter) => new(false, 0, 0, reason, retryAfter);

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (!IsAcquired && metadataName == MetadataName.ReasonPhrase.Name)
        {
            metadata = Reason.ToTag();
            return true;
        }

        if (!IsAcquired && metadataName == MetadataName.RetryAfter.Name && RetryAfter is { } retryAfter)
        {
            metadata = retryAfter;
            return true;
        }

        metadata = null;
        return false;
    }
}
