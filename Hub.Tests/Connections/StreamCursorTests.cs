using System.Text.Json;
using Hub.Client;
using Hub.Server.Connections;

namespace Hub.Tests.Connections;

/// <summary>
/// A node's cursor of a stream seeded with the stream's position at a join: on a Redis Cluster a
/// message published before the join can still reach the node after it, and is not new.
/// </summary>
public sealed class StreamCursorTests
{
    [Test]
    public void Seeded_AtAJoinsPosition_DropsWhatCameBefore_AndDeliversWhatFollows()
    {
        var cursor = new StreamCursor("group:room");
        cursor.Seed("e1", 3);

        Assert.Multiple(() =>
        {
            Assert.That(cursor.Admit(At("e1", 2)), Is.EqualTo(Admission.Duplicate), "published before the join, arriving late");
            Assert.That(cursor.Admit(At("e1", 3)), Is.EqualTo(Admission.Duplicate));
            Assert.That(cursor.Admit(At("e1", 4)), Is.EqualTo(Admission.Deliver));
        });
    }

    [Test]
    public void Seeded_AtAJoinsPosition_SeesAGapAfterIt()
    {
        var cursor = new StreamCursor("group:room");
        cursor.Seed("e1", 3);

        Assert.That(cursor.Admit(At("e1", 5)), Is.EqualTo(Admission.Gap));
    }

    [Test]
    public void ACursorThatDeliveredAlready_OrAnEmptyStream_KeepsItsPosition()
    {
        var delivered = new StreamCursor("group:room");
        delivered.Admit(At("e1", 5));
        delivered.Seed("e1", 3);
        var empty = new StreamCursor("group:new");
        empty.Seed("", 0);

        Assert.Multiple(() =>
        {
            Assert.That(delivered.Admit(At("e1", 6)), Is.EqualTo(Admission.Deliver), "the position it delivered, not the join's");
            Assert.That(empty.Admit(At("e7", 1)), Is.EqualTo(Admission.Deliver), "a stream empty at the join takes its first message in any epoch");
        });
    }

    private static Message At(string epoch, long offset) => new()
    {
        Id = $"{epoch}-{offset}",
        Stream = "group:room",
        Epoch = epoch,
        Offset = offset,
        From = "a",
        Data = JsonSerializer.SerializeToElement("x"),
    };
}
