using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Pipeline.Stages.Upstreams;

/// <summary>Spotify client-credentials tokens, fetched once and cached until shortly before they expire.</summary>
internal sealed class SpotifyTokenProvider(IHttpClientFactory http, IOptions<UpstreamOptions> options, TimeProvider time) : IDisposable
{
    public const string ClientName = "spotify-accounts";

    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (string Token, DateTimeOffset Expires)? _current;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } cached && cached.Expires > time.GetUtcNow())
        {
            return cached.Token;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } fresh && fresh.Expires > time.GetUtcNow())
            {
                return fresh.Token;
            }

            var token = await FetchAsync(cancellationToken);
            _current = token;
            return token.Item1;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Forgets a token the API called expired.</summary>
    public void Invalidate(string token)
    {
        if (_current?.Token == token)
        {
            _current = null;
        }
    }

    private async Task<(string, DateTimeOffset)> FetchAsync(CancellationToken cancellationToken)
    {
        var spotify = options.Value.Spotify;
        var (id, secret) = spotify.HasKeys ? (spotify.ClientId!, spotify.ClientSecret!) : ("sandbox", "sandbox");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));
        using var response = await http.CreateClient(ClientName).SendAsync(request, cancellationToken);
        using var body = await UpstreamJson.ReadAsync(response, "spotify", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new UpstreamException("spotify", "forbidden", $"Spotify token request failed with HTTP {(int)response.StatusCode}.");
        }

        var root = body.RootElement;
        var expires = time.GetUtcNow() + TimeSpan.FromSeconds(root.GetProperty("expires_in").GetInt32()) - ExpiryMargin;
        return (root.GetProperty("access_token").GetString()!, expires);
    }
}
