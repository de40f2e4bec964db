using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Tests.Support;

/// <summary>
/// A request's bytes exactly as written (HttpClient would normalize or refuse a hostile header), over a raw connection
/// to the host, and the whole answer read back.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) with <c>Connection: close</c>.</summary>
    public static async Task<RawResponse> SendAsync(Uri host, string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host.Host, host.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes($"{head}\r\nHost: {host.Authority}\r\nConnection: close\r\n\r\n"));
        return await ReadAsync(stream);
    }

    /// <summary>Reads one answer to the end of the connection.</summary>
    public static async Task<RawResponse> ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync().Within();
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = text[..split].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToLookup(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = text[(split + 4)..];
        if (headers["Transfer-Encoding"].Contains("chunked"))
        {
            body = Unchunk(body);
        }

        return new RawResponse((HttpStatusCode)int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        for (var at = 0; at < chunked.Length;)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0)
            {
                break;
            }

            body.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }

        return body.ToString();
    }
}

/// <summary>An answer as read off the wire.</summary>
internal sealed record RawResponse(HttpStatusCode Status, ILookup<string, string> Headers, string Body);
