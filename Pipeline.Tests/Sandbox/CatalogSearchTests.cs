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
}
