using System.Net;
using Pipeline.Throttling;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// A response body that holds its throttle lease (the lane slot) until it is disposed, or, when read as a stream, until
/// that stream is disposed or read to its end: SDKs that stream a body do not always dispose the content.
/// </summary>
internal sealed class LeasedContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly ThrottleLease _lease;

    public LeasedContent(HttpContent inner, ThrottleLease lease)
    {
        _inner = inner;
        _lease = lease;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        _inner.CopyToAsync(stream, context);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _inner.CopyToAsync(stream, context, cancellationToken);

    protected override async Task<Stream> CreateContentReadStreamAsync() => new LeasedStream(await _inner.ReadAsStreamAsync(), _lease);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new LeasedStream(await _inner.ReadAsStreamAsync(cancellationToken), _lease);

    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? 0;
        return _inner.Headers.ContentLength is not null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _lease.Dispose();
        }

        base.Dispose(disposing);
    }
}
