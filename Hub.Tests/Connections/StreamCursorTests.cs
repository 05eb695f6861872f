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

    [Test]
    public void SeededEmpty_CanCatchUp_AndSeesAMissedFirstMessageAsAGap()
    {
        var empty = new StreamCursor("group:new");
        empty.Seed("", 0);
        var unknown = new StreamCursor("group:other");

        Assert.Multiple(() =>
        {
            Assert.That((empty.Positioned, unknown.Positioned), Is.EqualTo((true, false)));
            Assert.That(unknown.TryStartFilling(), Is.False, "a position nobody knows cannot be caught up");
            Assert.That(empty.Admit(At("e7", 2)), Is.EqualTo(Admission.Gap), "offset 1 was missed");
        });
    }

    [Test]
    public void ContinuedInANewEpoch_DeliversItsNextOffset_AndTakesItsOwnPositionsAsDelivered()
    {
        var cursor = new StreamCursor("group:room");
        cursor.Admit(At("e1", 5));
        cursor.ContinueIn("e2");

        Assert.Multiple(() =>
        {
            Assert.That((cursor.Epoch, cursor.Offset), Is.EqualTo(("e2", 5L)), "the same offset, in the epoch that continues");
            Assert.That(cursor.Admit(At("e2", 5)), Is.EqualTo(Admission.Duplicate), "offset 5 of e2 is the message delivered as offset 5 of e1");
            Assert.That(cursor.Admit(At("e2", 6)), Is.EqualTo(Admission.Deliver));
        });
    }

    [Test]
    public void ACursorThatDeliveredNothing_HasNoEpochToContinue()
    {
        var cursor = new StreamCursor("group:room");

        Assert.That(() => cursor.ContinueIn("e2"), Throws.InvalidOperationException.With.Message.Contains("group:room"));
    }

    [Test]
    public void GivenUp_HandsOverWhatWasHeld_ButNotACopyOfWhatItDeliveredAlready()
    {
        var cursor = new StreamCursor("group:room");
        cursor.Admit(At("e1", 5));
        cursor.TryStartFilling();
        cursor.Admit(At("e1", 4));
        cursor.Admit(At("e1", 5));
        cursor.Admit(At("e2", 3));
        cursor.Admit(At("e2", 4));

        Assert.Multiple(() =>
        {
            Assert.That(cursor.GiveUp().Select(m => m.Id), Is.EqualTo(new[] { "e2-3", "e2-4" }));
            Assert.That((cursor.Epoch, cursor.Offset, cursor.Filling), Is.EqualTo(("e2", 4L, false)));
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
