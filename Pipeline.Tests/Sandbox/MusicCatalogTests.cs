using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sandbox;

public sealed class MusicCatalogTests
{
    private static readonly Pipeline.Sandbox.Catalog.MusicCatalog Catalog = SandboxServer.Catalog;

    [Fact]
    public void Load_ShippedCsv_OneTrackPerDistinctId()
    {
        Assert.Equal(28_356, Catalog.Tracks.Count);
        Assert.Equal(Catalog.Tracks.Count, Catalog.Tracks.Select(t => t.DeezerId).Distinct().Count());
        Assert.Equal(Catalog.Tracks.Count, Catalog.Tracks.Select(t => t.Isrc).Distinct().Count());
    }

    [Fact]
    public void Load_RepeatedIds_GenresMergedAcrossPlaylists()
    {
        Assert.Equal(1_687, Catalog.Tracks.Count(t => t.Genres.Count > 1));
    }

    [Fact]
    public void Load_LiteralNA_IsMissingNotAName()
    {
        Assert.DoesNotContain(Catalog.Tracks, t => t.Name == "NA" || t.Artist == "NA" || t.AlbumName == "NA");
        Assert.Equal(4, Catalog.Tracks.Count(t => t.Name is null || t.Artist is null || t.AlbumName is null));
    }

    [Fact]
    public void Load_QuotedCommasQuotesAndScientificNotation_ParsedAsWritten()
    {
        Assert.Contains(Catalog.Tracks, t => t.Artist == "Tyler, The Creator");
        Assert.Contains(Catalog.Tracks, t => t.Artist == "Bobby \"Blue\" Bland");
        Assert.Contains(Catalog.Tracks, t => t.Instrumentalness is > 0 and < 1e-4);
        Assert.Equal(0, Catalog.ById("51w6nRCU68klqNfYaaVP2j")!.Tempo);
    }
}
