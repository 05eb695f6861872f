using System.Text;
using Hub.Client;
using Hub.Server.Core;
using MessagePack;

namespace Hub.Tests.Backplane;

/// <summary>What travels between nodes, encoded and read back without a node: every kind of envelope, and what a broken payload does.</summary>
public sealed class BusCodecTests
{
    private static readonly Message Sample = new()
    {
        Id = "m-1",
        Stream = "group:room",
        From = "conn-1",
        User = "ada",
        Text = "héllo, wörld",
        SentAt = new DateTime(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc),
    };

    // Object, not Envelope: the codec's types are internal, a test method's parameters public.
    public static IEnumerable<TestCaseData> Envelopes() => AllEnvelopes().Select(e => new TestCaseData(e).SetArgDisplayNames(e.Kind.ToString()));

    private static IEnumerable<Envelope> AllEnvelopes() =>
    [
        Envelope.ForMessage(Sample, Target.Group("room")),
        Envelope.ForMessage(Sample with { Stream = "all", User = null }, Target.All),
        new() { Kind = EnvelopeKind.MemberJoined, Target = Target.Group("room"), ExceptConnectionId = "conn-1", Event = new PresenceEvent { Group = "room", ConnectionId = "conn-1", User = "ada" } },
        new() { Kind = EnvelopeKind.MemberLeft, Target = Target.Group("room"), Event = new PresenceEvent { Group = "room", ConnectionId = "conn-1", User = null } },
        Envelope.ForConnectionCommand(EnvelopeKind.AddToGroup, "conn-2", "room"),
        Envelope.ForConnectionCommand(EnvelopeKind.RemoveFromGroup, "conn-2", "room"),
        Envelope.ForConnectionCommand(EnvelopeKind.Disconnect, "conn-2"),
    ];

    [TestCaseSource(nameof(Envelopes))]
    public void AnEnvelope_ComesBackAsItWent(object sent)
    {
        var envelope = (Envelope)sent;

        var decoded = BusCodec.Decode(BusCodec.Encode(envelope));

        // Records compare their members; Message and PresenceEvent are records too.
        Assert.That(decoded == envelope, $"{decoded} came back for {envelope}");
    }

    [Test]
    public void APublishedPayload_CarriesTheOffsetAndEpochRedisGaveIt()
    {
        var body = BusCodec.Encode(Envelope.ForMessage(Sample, Target.Group("room")));

        var read = BusCodec.DecodePublished(Published("42:e1a2b3:", body));

        Assert.That((read.Message!.Epoch, read.Message.Offset, read.Message.Text), Is.EqualTo(("e1a2b3", 42L, Sample.Text)));
    }

    [Test]
    public void WithHistoryOff_APublishedPayload_HasNoPosition()
    {
        var body = BusCodec.Encode(Envelope.ForMessage(Sample, Target.All));

        var read = BusCodec.DecodePublished(Published("0::", body));

        Assert.That((read.Message!.Epoch, read.Message.Offset), Is.EqualTo(("", 0L)));
    }

    [TestCase("", TestName = "empty")]
    [TestCase("42", TestName = "no colon")]
    [TestCase("42:epoch", TestName = "one colon")]
    [TestCase("x:epoch:", TestName = "an offset that is no number")]
    [TestCase(":epoch:", TestName = "no offset")]
    [TestCase("42:epoch:\u0091\u0000", TestName = "a body cut short")]
    [TestCase("42:epoch:not message pack at all", TestName = "a body of text")]
    public void ABrokenPayload_FailsToDecode_AsAFormatOrSerializationError(string payload)
    {
        var error = Assert.Catch(() => BusCodec.DecodePublished(Encoding.Latin1.GetBytes(payload)));

        Assert.That(error, Is.InstanceOf<FormatException>().Or.InstanceOf<MessagePackSerializationException>());
    }

    [Test]
    public void EveryTruncationOfAPayload_FailsCleanly()
    {
        var payload = Published("7:ep:", BusCodec.Encode(Envelope.ForMessage(Sample, Target.Group("room"))));
        for (var length = 0; length < payload.Length; length++)
        {
            var error = Assert.Catch(() => BusCodec.DecodePublished(payload.AsMemory(0, length)), $"the first {length} bytes");
            Assert.That(error, Is.InstanceOf<FormatException>().Or.InstanceOf<MessagePackSerializationException>(), $"the first {length} bytes");
        }
    }

    private static byte[] Published(string prefix, byte[] body) => [.. Encoding.ASCII.GetBytes(prefix), .. body];
}
