using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

/// <summary>
/// A client on the same network probing a host in token mode, over real sockets to 127.0.0.1: what must keep holding.
/// Wrong tokens learn nothing, another client's jobs look like no job at all, ids cannot be guessed, other origins get
/// no CORS grant and never credentials, and oversized or stalled requests are cut off.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed partial class HostileClientTests(HostileClientTests.TokenHost host) : IClassFixture<HostileClientTests.TokenHost>
{
    private const string Alice = "alice-secret-token-1", Bob = "bob-secret-token-22";

    [Theory]
    [InlineData("")]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-token-of-anyone")]
    [InlineData("Bearer alice-secret-token-")] // a prefix of a real one
    [InlineData("Bearer " + Alice + "x")]
    [InlineData("Bearer  " + Alice)]
    [InlineData("Bearer \u3000")]
    [InlineData("Basic " + Alice)]
    [InlineData(Alice)]
    public async Task WrongToken_AnyForm_401ProblemWithABearerChallengeAndTheSameBody(string authorization)
    {
        var address = host.Server.CreateClient().BaseAddress!;
        var header = authorization.Length == 0 ? "" : $"\r\nAuthorization: {authorization}";

        var answer = await RawHttp.SendAsync(address, $"GET /v1/throttle HTTP/1.1{header}");
        var none = await RawHttp.SendAsync(address, "GET /v1/throttle HTTP/1.1");

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("Bearer", Assert.Single(answer.Headers["WWW-Authenticate"]));
        Assert.StartsWith("application/problem+json", Assert.Single(answer.Headers["Content-Type"]), StringComparison.Ordinal);
        Assert.Equal(WithoutTrace(none.Body), WithoutTrace(answer.Body)); // no hint of what was wrong
        Assert.DoesNotContain(Alice[..10], answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherClientsJob_404ExactlyLikeAnUnknownId()
    {
        using var alice = Client(Alice);
        using var bob = Client(Bob);
        using var started = await alice.PostAsJsonAsync("/v1/jobs", new { prompt = "house", trackCount = 3 });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var unknown = new string('b', 32);

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/jobs/{0}"), (HttpMethod.Get, "/v1/jobs/{0}/events"), (HttpMethod.Get, "/v1/jobs/{0}/set"), (HttpMethod.Delete, "/v1/jobs/{0}") })
        {
            using var theirs = await bob.SendAsync(new HttpRequestMessage(method, string.Format(null, path, id)));
            using var none = await bob.SendAsync(new HttpRequestMessage(method, string.Format(null, path, unknown)));

            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
            Assert.Equal(
                WithoutTrace(await none.Content.ReadAsStringAsync()).Replace(unknown, "<id>", StringComparison.Ordinal),
                WithoutTrace(await theirs.Content.ReadAsStringAsync()).Replace(id, "<id>", StringComparison.Ordinal));
        }

        using var own = await alice.GetAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task Health_AnsweredWithoutAToken()
    {
        using var http = host.Server.CreateClient();

        using var live = await http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task JobIds_128RandomBitsInLowerHex_AnotherCasingIsNoJob()
    {
        using var alice = Client(Alice);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var started = await alice.PostAsJsonAsync("/v1/jobs", new { prompt = "techno", trackCount = 3, detach = true });
            ids.Add((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        Assert.All(ids, id => Assert.Matches(LowerHex32(), id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        using var upper = await alice.GetAsync($"/v1/jobs/{ids[0].ToUpperInvariant()}");
        Assert.Equal(HttpStatusCode.NotFound, upper.StatusCode);
    }

    [Fact]
    public async Task Cors_OnlyTheListedOriginAndNeverCredentials()
    {
        using var http = host.Server.CreateClient();

        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/jobs");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
            return await http.SendAsync(preflight);
        }

        using var listed = await Preflight("https://dj.example");
        using var other = await Preflight("https://evil.example");

        Assert.Equal("https://dj.example", Assert.Single(listed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(listed.Headers.Contains("Access-Control-Allow-Credentials"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Body_OverTheLimit_413Problem()
    {
        using var alice = Client(Alice);
        var huge = $$"""{"prompt":"{{new string('a', 70_000)}}"}""";

        using var response = await alice.PostAsync("/v1/jobs", new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Headers_SentTooSlowly_408AndTheConnectionClosed()
    {
        var address = host.Server.CreateClient().BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /v1/throttle HTTP/1.1\r\nHost: {address.Authority}\r\nX-Slow: ")); // and no more

        var answer = await RawHttp.ReadAsync(stream); // Kestrel's heartbeat ends it past its RequestHeadersTimeout

        Assert.Equal(HttpStatusCode.RequestTimeout, answer.Status);
    }

    private static string WithoutTrace(string body) => TraceId().Replace(body, "");

    private HttpClient Client(string token)
    {
        var http = host.Server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex LowerHex32();

    [GeneratedRegex(@",?""traceId"":""[^""]*""")]
    private static partial Regex TraceId();

    /// <summary>One host in token mode, two clients, one CORS origin, a short header timeout.</summary>
    public sealed class TokenHost : IDisposable
    {
        internal HostServer Server { get; } = new(
            new Dictionary<string, string?>
            {
                ["Pipeline:Auth:Tokens:alice"] = Alice,
                ["Pipeline:Auth:Tokens:bob"] = Bob,
                ["Pipeline:Admission:CorsOrigins:0"] = "https://dj.example",
                ["Pipeline:Storage:DrainTimeout"] = "00:00:00",
            },
            services => services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1)));

        public void Dispose() => Server.Dispose();
    }
}
