using Pipeline.Sandbox.Catalog;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox;

public sealed class CatalogSearchTests
{
    private static readonly MusicCatalog Catalog = SandboxServer.Catalog;

    [Theory]
    [InlineData("genre:\"house\"")]
    [InlineData("artist:\"Ed Sheeran\" track:\"Shape of You\"")]
    [InlineData("love year:2015-2019")]
    public void Find_AnyQuery_TheTracksAScanMatchesInCatalogOrder(string query)
    {
        var parsed = SearchQuery.Parse(query);

        var found = new CatalogSearch(Catalog).Find(query);

        Assert.NotEmpty(found);
        Assert.Equal(Catalog.Tracks.Where(parsed.Matches).Select(t => t.Id), found.Select(t => t.Id));
    }

    [Fact]
    public void Find_QueriesFromTheCatalogsOwnText_TheTracksAScanMatches()
    {
        // Pieces of real names, artists, albums and genres, in any case, alone, as filters and combined: the index
        // narrows where a scan would look, and must never leave out a track the scan finds.
        var random = new Random(7);
        var search = new CatalogSearch(Catalog);
        var checkedWithMatches = 0;
        for (var i = 0; i < 300; i++)
        {
            var query = (i % 3) switch
            {
                0 => Piece(random),
                1 => $"artist:\"{Piece(random)}\"",
                _ => $"artist:\"{Piece(random)}\" track:\"{Piece(random)}\" {Piece(random)}",
            };
            var parsed = SearchQuery.Parse(query);

            var found = search.Find(query);

            var scanned = Catalog.Tracks.Where(parsed.Matches).Select(t => t.Id).ToList();
            Assert.True(scanned.SequenceEqual(found.Select(t => t.Id)), $"'{query}': the scan finds {scanned.Count}, the index {found.Count}");
            checkedWithMatches += scanned.Count > 0 ? 1 : 0;
        }

        Assert.True(checkedWithMatches > 150, $"only {checkedWithMatches} of 300 queries match anything");
    }

    [Fact]
    public void Fold_AnyTwoUnitsOrdinalIgnoreCaseEquates_FoldedAlike()
    {
        // The index finds a text by its folded trigrams: a unit folded apart from one the comparison equates would
        // leave a match out. Units the comparison equates share its hash code; check every such group.
        var groups = Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(c => !char.IsSurrogate(c))
            .GroupBy(c => string.GetHashCode([c], StringComparison.OrdinalIgnoreCase));
        foreach (var group in groups)
        {
            foreach (var a in group)
            {
                foreach (var b in group)
                {
                    if (string.Equals(a.ToString(), b.ToString(), StringComparison.OrdinalIgnoreCase))
                    {
                        Assert.Equal(CatalogTextIndex.Fold(a), CatalogTextIndex.Fold(b));
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Find_SameQueryAgainAndAtOnce_ScannedOnceAndShared()
    {
        var search = new CatalogSearch(Catalog);

        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => search.Find("genre:\"tropical\"")))).Within();
        var later = search.Find("genre:\"tropical\"");

        Assert.All(together, found => Assert.Same(later, found));
    }

    [Fact]
    public void Find_ManyOtherQueriesSince_ForgetsTheOldestSoMemoryStaysBounded()
    {
        var search = new CatalogSearch(Catalog);
        var first = search.Find("genre:\"rock\"");
        var recent = search.Find("genre:\"pop\"");

        for (var i = 0; i < CatalogSearch.Capacity; i++)
        {
            search.Find($"year:{1950 + (i % 70)} track:\"{i}\"");
        }

        Assert.Same(recent, search.Find("genre:\"pop\"")); // asked again lately: kept
        for (var i = 0; i < 2 * CatalogSearch.Capacity; i++)
        {
            search.Find($"album:\"{i}\"");
        }

        Assert.NotSame(first, search.Find("genre:\"rock\"")); // scanned again
    }

    // A run of 3–8 characters from a random track's text, its case shuffled.
    private static string Piece(Random random)
    {
        var track = Catalog.Tracks[random.Next(Catalog.Tracks.Count)];
        var texts = new[] { track.Name, track.Artist, track.AlbumName }.Concat(track.Genres).Concat(track.Subgenres).Where(t => t is { Length: >= 3 }).ToArray();
        var text = texts[random.Next(texts.Length)]!;
        var length = Math.Min(text.Length, random.Next(3, 9));
        var start = random.Next(text.Length - length + 1);
        return new string([.. text.Substring(start, length).Replace("\"", "", StringComparison.Ordinal).Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))]);
    }
}
