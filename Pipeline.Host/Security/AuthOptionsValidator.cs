using Microsoft.Extensions.Options;

namespace Pipeline.Host.Security;

/// <summary>
/// Rules of <see cref="AuthOptions"/>: every configured token at least <see cref="MinTokenLength"/> characters with no
/// whitespace, so an entry a secret store failed to fill in stops the host rather than letting a blank token in.
/// Failures name the key, never the token.
/// </summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    /// <summary>The shortest token accepted.</summary>
    public const int MinTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        foreach (var (client, token) in options.Tokens)
        {
            var key = $"{AuthOptions.Section}:Tokens:{client}";
            if (string.IsNullOrEmpty(token))
            {
                builder.AddError($"{key} is empty: give the client a token of at least {MinTokenLength} characters, or remove the entry.");
            }
            else if (token.Length < MinTokenLength)
            {
                builder.AddError($"{key} is {token.Length} characters long: a token needs at least {MinTokenLength}.");
            }
            else if (token.Any(char.IsWhiteSpace))
            {
                builder.AddError($"{key} holds whitespace: a token is sent as one word after 'Bearer ', so it could never match.");
            }
        }

        return builder.Build();
    }
}
