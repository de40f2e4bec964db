using Pipeline.Host.Security;

namespace Pipeline.Tests.Host.Security;

public sealed class AuthOptionsValidatorTests
{
    private static string[] Failures(params (string Client, string Token)[] tokens)
    {
        var options = new AuthOptions();
        foreach (var (client, token) in tokens)
        {
            options.Tokens[client] = token;
        }

        return [.. new AuthOptionsValidator().Validate(null, options).Failures ?? []];
    }

    [Fact]
    public void Validate_LongTokensWithoutWhitespace_Pass() =>
        Assert.Empty(Failures(("alice", "alice-secret-token-1"), ("bob", new string('b', AuthOptionsValidator.MinTokenLength))));

    [Fact]
    public void Validate_NoTokens_PassesTheApiIsOpenOnLoopback() => Assert.Empty(Failures());

    [Theory]
    [InlineData("", "Pipeline:Auth:Tokens:carol is empty")]
    [InlineData("short-token", "Pipeline:Auth:Tokens:carol is 11 characters long: a token needs at least 16.")]
    [InlineData("  padded-secret-token  ", "Pipeline:Auth:Tokens:carol holds whitespace")]
    [InlineData("nbsp\u00a0inside-the-token", "Pipeline:Auth:Tokens:carol holds whitespace")]
    public void Validate_EmptyShortOrSpacedToken_RefusedNamingTheKeyNotTheToken(string token, string message)
    {
        var failure = Assert.Single(Failures(("alice", "alice-secret-token-1"), ("carol", token)));

        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        if (token.Length > 0)
        {
            Assert.DoesNotContain(token.Trim(), failure, StringComparison.Ordinal);
        }
    }
}
