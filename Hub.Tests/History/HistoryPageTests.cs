using Hub.Server.History;

namespace Hub.Tests.History;

/// <summary>
/// Whether a position goes on in a page's epoch: the same epoch, or an ended one the page's epoch
/// continues (a Redis Cluster failover or slot move), read no further than where it ended.
/// </summary>
public sealed class HistoryPageTests
{
    private static readonly HistoryPage Page = new("e3", 40, 1, [])
    {
        Lineage = EndedEpoch.ParseLineage("group:room", "e1:12 e2:30"),
    };

    [TestCase("e3", 0)]
    [TestCase("e3", 40)]
    [TestCase("e3", 99, Description = "ahead of the stream, but its own epoch: the caller is told where the stream is")]
    [TestCase("e2", 30, Description = "where e2 ended")]
    [TestCase("e2", 13)]
    [TestCase("e1", 12)]
    [TestCase("e1", 0)]
    public void APositionOfTheEpoch_OrOfAnEndedOneUpToWhereItEnded_Continues(string epoch, long offset) =>
        Assert.That(Page.Continues(epoch, offset), Is.True);

    [TestCase("e2", 31, Description = "saw a message e2 had that e3 does not")]
    [TestCase("e1", 13)]
    [TestCase("e0", 1, Description = "an epoch the lineage does not name: history was lost")]
    [TestCase("", 5)]
    public void APositionBeyondWhereItsEpochEnded_OrOfAnotherEpoch_DoesNotContinue(string epoch, long offset) =>
        Assert.That(Page.Continues(epoch, offset), Is.False);

    [Test]
    public void WithoutLineage_OnlyTheSameEpochContinues()
    {
        var page = new HistoryPage("e1", 5, 1, []);

        Assert.Multiple(() =>
        {
            Assert.That(page.Continues("e1", 3), Is.True);
            Assert.That(page.Continues("e0", 3), Is.False);
            Assert.That(page.LastOffsetOf("e0"), Is.Null);
        });
    }

    [Test]
    public void ALineage_IsReadOldestFirst()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Page.Lineage, Is.EqualTo(new[] { new EndedEpoch("e1", 12), new EndedEpoch("e2", 30) }));
            Assert.That(EndedEpoch.ParseLineage("all", ""), Is.Empty);
        });
    }

    [TestCase("e1")]
    [TestCase("e1:x")]
    [TestCase(":4")]
    [TestCase("e1:-4")]
    public void AMalformedLineage_IsAClearError_NamingTheStream(string lineage) =>
        Assert.That(() => EndedEpoch.ParseLineage("group:room", lineage),
            Throws.TypeOf<FormatException>().With.Message.Contains("group:room").And.Message.Contains(lineage));
}
