namespace Pipeline.Host.Http;

/// <summary>
/// The <c>type</c> of a problem answer: the section of the RFC that defines its status code, as ASP.NET Core's own
/// defaults give for the common ones, here for every status the host answers (413, 414, 429 and 431 among them).
/// </summary>
internal static class ProblemTypes
{
    private static readonly Dictionary<int, string> Sections = new()
    {
        [400] = "rfc9110#section-15.5.1",
        [401] = "rfc9110#section-15.5.2",
        [403] = "rfc9110#section-15.5.4",
        [404] = "rfc9110#section-15.5.5",
        [405] = "rfc9110#section-15.5.6",
        [406] = "rfc9110#section-15.5.7",
        [408] = "rfc9110#section-15.5.9",
        [409] = "rfc9110#section-15.5.10",
        [411] = "rfc9110#section-15.5.12",
        [412] = "rfc9110#section-15.5.13",
        [413] = "rfc9110#section-15.5.14",
        [414] = "rfc9110#section-15.5.15",
        [415] = "rfc9110#section-15.5.16",
        [422] = "rfc9110#section-15.5.21",
        [429] = "rfc6585#section-4",
        [431] = "rfc6585#section-5",
        [500] = "rfc9110#section-15.6.1",
        [502] = "rfc9110#section-15.6.3",
        [503] = "rfc9110#section-15.6.4",
        [504] = "rfc9110#section-15.6.5",
    };

    /// <summary>The type of a problem with <paramref name="status"/>, or null for a status the host never answers.</summary>
    public static string? Of(int? status) =>
        status is { } code && Sections.TryGetValue(code, out var section) ? "https://tools.ietf.org/html/" + section : null;
}
