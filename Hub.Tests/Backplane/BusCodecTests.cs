using System.Text;
using System.Text.Json;
using Hub.Client;
using Hub.Client.Internal;
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
        Data = JsonData.FromText("héllo, wörld"),
        SentAt = new DateTime(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc),
    };

    private static readonly Message Structured = Sample with
    {
        Event = "typing",
        Data = JsonElement.Parse("""{"who":"ada","at":[1, -0.5, 9007199254740993],"deep":{"ok":true,"none":null},"t":"é\u0001"}"""),
    };

    // Object, not Envelope: the codec's types are internal, a test method's parameters public.
    public static IEnumerable<TestCaseData> Envelopes() => AllEnvelopes().Select(e => new TestCaseData(e).SetArgDisplayNames(e.Kind.ToString()));

    private static IEnumerable<Envelope> AllEnvelopes() =>
    [
        Envelope.ForMessage(Sample, Target.Group("room")),
        Envelope.ForMessage(Sample with { Stream = "all", User = null }, Target.All),
        Envelope.ForMessage(Structured, Target.Group("room")),
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
    public void ATextMessage_CarriesItsTextOnce_AndOtherDataAsItsJson()
    {
        var text = new string('t', 1000);
        var textBody = BusCodec.Encode(Envelope.ForMessage(Sample with { Data = JsonData.FromText(text) }, Target.All));
        var dataBody = BusCodec.Encode(Envelope.ForMessage(Structured, Target.All));

        Assert.That(Occurrences(textBody, Encoding.UTF8.GetBytes(text)), Is.EqualTo(1), "the text once, not again as data");
        Assert.That(Occurrences(dataBody, Encoding.UTF8.GetBytes(Structured.Data.GetRawText())), Is.EqualTo(1), "the data as the JSON it is held as");
    }

    [Test]
    public void ATextMessageOfANodeBeforeData_ReadsAsTheMessageEvent_AndTheOtherWayRound()
    {
        var old = new OldEnvelope
        {
            Kind = EnvelopeKind.Message,
            Target = Target.Group("room"),
            Message = new OldMessage { Id = "m-0", Stream = "group:room", Epoch = "e", Offset = 3, From = "conn-0", Text = "from before", SentAt = Sample.SentAt },
        };

        var read = BusCodec.Decode(MessagePackSerializer.Serialize(old, OldOptions)).Message!;
        var readByOld = MessagePackSerializer.Deserialize<OldEnvelope>(BusCodec.Encode(Envelope.ForMessage(Sample, Target.Group("room"))), OldOptions).Message!;

        Assert.Multiple(() =>
        {
            Assert.That((read.Id, read.Event, read.Data.GetString(), read.Text, read.Offset, read.SentAt), Is.EqualTo(("m-0", "message", "from before", "from before", 3L, Sample.SentAt)));
            Assert.That((readByOld.Id, readByOld.Text, readByOld.User, readByOld.SentAt), Is.EqualTo((Sample.Id, Sample.Text, Sample.User, Sample.SentAt)));
        });
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

    private static int Occurrences(byte[] body, byte[] part)
    {
        var count = 0;
        for (var rest = body.AsSpan(); rest.IndexOf(part) is var at and >= 0; rest = rest[(at + 1)..])
        {
            count++;
        }

        return count;
    }

    // The bus as nodes wrote it before messages had data: the same envelope, a message with text.
    private static readonly MessagePackSerializerOptions OldOptions =
        MessagePackSerializerOptions.Standard.WithResolver(MessagePack.Resolvers.StandardResolverAllowPrivate.Instance);

    [MessagePackObject]
    public sealed record OldEnvelope
    {
        [Key(0)] internal EnvelopeKind Kind { get; init; }

        [Key(1)] internal Target Target { get; init; }

        [Key(2)] public string? ExceptConnectionId { get; init; }

        [Key(3)] public OldMessage? Message { get; init; }

        [Key(4)] public PresenceEvent? Event { get; init; }

        [Key(5)] public string? Group { get; init; }
    }

    [MessagePackObject]
    public sealed record OldMessage
    {
        [Key("id")] public required string Id { get; init; }

        [Key("stream")] public required string Stream { get; init; }

        [Key("epoch")] public string Epoch { get; init; } = "";

        [Key("offset")] public long Offset { get; init; }

        [Key("from")] public required string From { get; init; }

        [Key("user")] public string? User { get; init; }

        [Key("text")] public required string Text { get; init; }

        [Key("sentAt")] public DateTime SentAt { get; init; }
    }
}
