using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Hub.Server.WebSockets;

namespace Hub.Tests.WebSockets;

/// <summary>The direct path's frame layer on its own, byte by byte: no node, no socket.</summary>
public sealed class FrameDecoderTests
{
    private static readonly byte[] Key = [0x37, 0xfa, 0x21, 0x3d];

    [TestCase(0, 6)]
    [TestCase(125, 6)]
    [TestCase(126, 8)]
    [TestCase(65535, 8)]
    [TestCase(65536, 14)]
    public void AHeader_IsReadOnlyOnceWhole_AtEveryLength(int length, int headerLength)
    {
        var frame = ClientFrame.Build(0x2, new byte[length], fin: false, key: Key);

        for (var cut = 0; cut < headerLength; cut++)
        {
            Assert.That(WebSocketFrames.TryReadHeader(new ReadOnlySequence<byte>(frame, 0, cut), out _), Is.False, $"a header cut after {cut} bytes");
        }

        Assert.That(WebSocketFrames.TryReadHeader(OneSegmentPerByte(frame[..headerLength]), out var header), Is.True);
        Assert.That(header, Is.EqualTo(new FrameHeader(0x2, Fin: false, length, BinaryPrimitives.ReadUInt32LittleEndian(Key), headerLength)));
    }

    [TestCase(2)]
    [TestCase(8)]
    public void ALengthInMoreBytesThanItNeeds_IsAccepted_AsManagedWebSocketAccepts_It(int lengthBytes)
    {
        var frame = ClientFrame.Build(0x9, "hello"u8, lengthBytes: lengthBytes, key: Key);

        Assert.That(WebSocketFrames.TryReadHeader(new ReadOnlySequence<byte>(frame), out var header), Is.True);
        Assert.That((header.PayloadLength, header.Length), Is.EqualTo((5L, 2 + lengthBytes + 4)));
    }

    [TestCase(4, 0x1)]
    [TestCase(2, 0x2)]
    [TestCase(1, 0x9)]
    public void AFrameWithReservedBits_IsRefused(int rsv, int opcode) =>
        AssertRefused(ClientFrame.Build((byte)opcode, "x"u8, rsv: rsv), WebSocketFrames.ProtocolError, "reserved bits");

    [Test]
    public void AnUnmaskedFrame_IsRefused() =>
        AssertRefused(ClientFrame.Build(0x1, "x"u8, mask: false), WebSocketFrames.ProtocolError, "not masked");

    [Test]
    public void AnUnknownOpcode_IsRefused([Values(3, 4, 5, 6, 7, 11, 12, 13, 14, 15)] int opcode) =>
        AssertRefused(ClientFrame.Build((byte)opcode, []), WebSocketFrames.ProtocolError, $"opcode {opcode}");

    [Test]
    public void AControlFrame_FragmentedOrOver125Bytes_IsRefused([Values(0x8, 0x9, 0xA)] int opcode)
    {
        AssertRefused(ClientFrame.Build((byte)opcode, [], fin: false), WebSocketFrames.ProtocolError, "control frame");
        AssertRefused(ClientFrame.Build((byte)opcode, new byte[126]), WebSocketFrames.ProtocolError, "control frame");
        Assert.That(WebSocketFrames.TryReadHeader(new ReadOnlySequence<byte>(ClientFrame.Build((byte)opcode, new byte[125])), out _), Is.True, "125 bytes is allowed");
    }

    [Test]
    public void A64BitLengthWithItsMostSignificantBitSet_IsRefused() =>
        AssertRefused(ClientFrame.Build(0x2, [], declaredLength: 1UL << 63), WebSocketFrames.ProtocolError, "most significant bit");

    [TestCase(0, 2)]
    [TestCase(125, 2)]
    [TestCase(126, 4)]
    [TestCase(65535, 4)]
    [TestCase(65536, 10)]
    public void AServerHeader_TakesTheFewestLengthBytes_FinalAndUnmasked(long length, int expected)
    {
        var header = new byte[WebSocketFrames.MaxServerHeader];

        var written = WebSocketFrames.WriteHeader(header, WebSocketFrames.Text, length);

        var read = header[1] switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(2)),
            var seven => seven,
        };
        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EqualTo(expected));
            Assert.That(header[0], Is.EqualTo(0x81), "FIN and the text opcode, no reserved bits");
            Assert.That(header[1] & 0x80, Is.Zero, "a server's frame is not masked");
            Assert.That(read, Is.EqualTo(length));
        });
    }

    [Test]
    public void AWholeFrame_IsWrittenAsItsHeaderAndPayload()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrames.Write(output, WebSocketFrames.Pong, "pong"u8);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo((byte[])[0x8A, 4, .. "pong"u8]));
    }

    [Test]
    public void TheNodesClosePayload_IsItsCodeAndReason()
    {
        var payload = WebSocketFrames.ClosePayload(1001, "Going away.");

        Assert.That(payload, Is.EqualTo((byte[])[0x03, 0xE9, .. "Going away."u8]));
    }

    [TestCase(200, "", 123)]
    [TestCase(120, "€", 123)]
    [TestCase(121, "€", 121)]
    [TestCase(122, "€", 122)]
    [TestCase(0, "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé", 122)]
    public void ALongReason_IsCutToWholeCharactersWithin123Bytes(int ascii, string tail, int reasonBytes)
    {
        var payload = WebSocketFrames.ClosePayload(1000, new string('a', ascii) + tail);

        Assert.Multiple(() =>
        {
            Assert.That(payload, Has.Length.EqualTo(2 + reasonBytes));
            Assert.That(Utf8.IsValid(payload.AsSpan(2)), Is.True, "the reason is still UTF-8");
        });
    }

    [Test]
    public void AReasonWithALoneSurrogate_StaysUtf8() =>
        Assert.That(Utf8.IsValid(WebSocketFrames.ClosePayload(1000, "a\ud800b").AsSpan(2)), Is.True);

    [Test]
    public void TheNode_NeverWritesACodeRfc6455Forbids([Values(0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)] int code) =>
        Assert.That(() => WebSocketFrames.ClosePayload((ushort)code, ""), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void TheCloseCodesThatMayBeSent_AreManagedWebSocketsOwn()
    {
        var valid = Enumerable.Range(0, 65536).Where(WebSocketFrames.IsValidCloseStatus).ToArray();

        int[] expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, .. Enumerable.Range(3000, 2000)];
        Assert.That(valid, Is.EqualTo(expected));
    }

    [Test]
    public void AClientsCloseWithoutPayload_HasNoCode() =>
        Assert.That(WebSocketFrames.ReadCloseStatus([]), Is.Null);

    [TestCase(1000, "")]
    [TestCase(1001, "bye")]
    [TestCase(1014, "")]
    [TestCase(3000, "κόσμε")]
    [TestCase(4999, "")]
    public void AClientsValidClose_GivesItsCode(int code, string reason) =>
        Assert.That(WebSocketFrames.ReadCloseStatus(ClientFrame.ClosePayload((ushort)code, Encoding.UTF8.GetBytes(reason))), Is.EqualTo(code));

    [Test]
    public void AClientsCloseOfOneByte_IsAProtocolError() =>
        AssertCloseRefused([0x03], "1 byte");

    [Test]
    public void AClientsInvalidCloseCode_IsAProtocolError([Values(0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)] int code) =>
        AssertCloseRefused(ClientFrame.ClosePayload((ushort)code), $"status code {code}");

    [Test]
    public void AClientsCloseReasonThatIsNotUtf8_IsAProtocolError()
    {
        AssertCloseRefused(ClientFrame.ClosePayload(1000, [0xce, 0xba, 0xed, 0xa0, 0x80]), "UTF-8");
        AssertCloseRefused(ClientFrame.ClosePayload(1000, [0x61, 0xe2, 0x82]), "UTF-8");
    }

    [Test]
    public void FramesInAnyPieces_AreDecodedAlike_DataUnmaskedAndControlFramesWhole()
    {
        byte[] stream =
        [
            .. ClientFrame.Build(0x1, "first "u8, fin: false),
            .. ClientFrame.Build(0x9, "ping between"u8),
            .. ClientFrame.Build(0x0, "and last"u8),
            .. ClientFrame.Build(0x2, new byte[300]),
            .. ClientFrame.Build(0x8, ClientFrame.ClosePayload(1000)),
        ];
        byte[] expectedData = [.. "first and last"u8, .. new byte[300]];

        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var decoded = Decode(stream[..cut], stream[cut..]);

            Assert.That(decoded.Data, Is.EqualTo(expectedData), $"cut after {cut} bytes");
            Assert.That(decoded.Controls, Is.EqualTo(new[] { "9:ping between", "8:\u0003\u00e8" }), $"cut after {cut} bytes");
        }

        Assert.That(Decode([.. stream.Select(b => new[] { b })]).Data, Is.EqualTo(expectedData), "a byte at a time");
    }

    [Test]
    public void AContinuationWithNoMessage_IsAProtocolError() =>
        Assert.That(() => Decode(ClientFrame.Build(0x0, "x"u8)), Throws.InstanceOf<WebSocketFrameException>()
            .With.Message.Contains("no message to continue").And.Property(nameof(WebSocketFrameException.Status)).EqualTo(WebSocketFrames.ProtocolError));

    [Test]
    public void ANewMessageInsideAFragmentedOne_IsAProtocolError([Values(0x1, 0x2)] int opcode) =>
        Assert.That(() => Decode([.. ClientFrame.Build(0x2, "x"u8, fin: false), .. ClientFrame.Build((byte)opcode, "y"u8)]), Throws.InstanceOf<WebSocketFrameException>()
            .With.Message.Contains("before the last one's final frame"));

    [Test]
    public void AfterAFinalFrame_ANewMessageMayBegin() =>
        Assert.That(Decode([.. ClientFrame.Build(0x2, "x"u8), .. ClientFrame.Build(0x1, "y"u8, fin: false), .. ClientFrame.Build(0x0, "z"u8)]).Data, Is.EqualTo("xyz"u8.ToArray()));

    [Test]
    public void TextThatIsNotUtf8_Fails1007_BeforeTheRestOfItsFrameComes()
    {
        var kosme = "κόσμε"u8.ToArray();
        byte[] text = [.. kosme, 0xf4, 0x90, 0x80, 0x80, .. "edited"u8];
        var frame = ClientFrame.Build(0x1, text);
        var header = frame.Length - text.Length;

        Assert.That(() => Decode(frame[..(header + kosme.Length)]), Throws.Nothing, "κόσμε so far");
        AssertInvalidText(frame[..(header + kosme.Length + 2)]);
    }

    [Test]
    public void TextThatIsNotUtf8_Fails1007_InAContinuation() =>
        AssertInvalidText([.. ClientFrame.Build(0x1, "ok "u8, fin: false), .. ClientFrame.Build(0x0, [0xc0, 0xaf])]);

    [Test]
    public void TextSplitInsideACodePoint_AcrossFramesAndReads_IsAccepted()
    {
        var text = "price: 5 € 𤭢"u8.ToArray();
        for (var frameCut = 0; frameCut <= text.Length; frameCut++)
        {
            byte[] stream = [.. ClientFrame.Build(0x1, text[..frameCut], fin: false), .. ClientFrame.Build(0x9, []), .. ClientFrame.Build(0x0, text[frameCut..])];
            for (var readCut = 0; readCut <= stream.Length; readCut++)
            {
                Assert.That(Decode(stream[..readCut], stream[readCut..]).Data, Is.EqualTo(text), $"frames cut after {frameCut} bytes of text, reads after {readCut}");
            }
        }
    }

    [Test]
    public void TextEndingInsideACodePoint_Fails1007_AtItsLastFrame()
    {
        AssertInvalidText(ClientFrame.Build(0x1, [.. "5 "u8, 0xe2, 0x82]));
        AssertInvalidText([.. ClientFrame.Build(0x1, [0xe2, 0x82], fin: false), .. ClientFrame.Build(0x0, [])]);
        Assert.That(() => Decode(ClientFrame.Build(0x1, [0xe2, 0x82], fin: false)), Throws.Nothing, "the message goes on: the code point may still end");
    }

    [Test]
    public void BinaryIsNotChecked_AndTextIsCheckedAfreshForEachMessage()
    {
        byte[] stream =
        [
            .. ClientFrame.Build(0x2, [0xe2, 0x82], fin: false), .. ClientFrame.Build(0x0, [0xff]),
            .. ClientFrame.Build(0x1, "€"u8),
            .. ClientFrame.Build(0x2, [0xac]),
            .. ClientFrame.Build(0x1, "a"u8),
        ];

        Assert.That(Decode(stream).Data, Has.Length.EqualTo(8));
        AssertInvalidText([.. ClientFrame.Build(0x1, "€"u8), .. ClientFrame.Build(0x1, [0xac])]);
    }

    [Test]
    public void OnceTheHubReadsNoMore_TextIsNeitherKeptNorChecked()
    {
        var decoder = new ClientFrameDecoder();
        var payload = new UnmaskedPayload();
        var buffer = new ReadOnlySequence<byte>(ClientFrame.Build(0x1, [0xe2, 0x82], fin: false));
        decoder.TryDecode(ref buffer, ref payload, out _);
        payload.Discard();
        buffer = new ReadOnlySequence<byte>([.. ClientFrame.Build(0x0, [0xff]), .. ClientFrame.Build(0x1, [0xc0])]);

        Assert.That(decoder.TryDecode(ref buffer, ref payload, out _), Is.False);
        Assert.That(payload.Buffered.IsEmpty, Is.True);
    }

    private static void AssertInvalidText(byte[] stream) =>
        Assert.That(() => Decode(stream), Throws.InstanceOf<WebSocketFrameException>()
            .With.Message.Contains("UTF-8").And.Property(nameof(WebSocketFrameException.Status)).EqualTo(WebSocketFrames.InvalidPayloadData));

    // What the decoder makes of the client's bytes arriving in these reads; what a read leaves
    // undecoded (a partial header or control frame) comes again at the front of the next one, as
    // the reader's AdvanceTo leaves it in Kestrel's input.
    private static (byte[] Data, List<string> Controls) Decode(params byte[][] reads)
    {
        var decoder = new ClientFrameDecoder();
        var payload = new UnmaskedPayload();
        var controls = new List<string>();
        byte[] left = [];
        foreach (var read in reads)
        {
            var buffer = OneSegmentPerByte([.. left, .. read]);
            while (decoder.TryDecode(ref buffer, ref payload, out var control))
            {
                controls.Add($"{control.Opcode:X}:{Encoding.Latin1.GetString(control.Payload)}");
            }

            left = buffer.ToArray();
        }

        var data = payload.Buffered.ToArray();
        payload.AdvanceTo(payload.Buffered.End, payload.Buffered.End);
        return (data, controls);
    }

    private static void AssertRefused(byte[] frame, ushort status, string reason) =>
        Assert.That(() => WebSocketFrames.TryReadHeader(new ReadOnlySequence<byte>(frame), out _), Throws.InstanceOf<WebSocketFrameException>()
            .With.Message.Contains(reason).And.Property(nameof(WebSocketFrameException.Status)).EqualTo(status));

    private static void AssertCloseRefused(byte[] payload, string reason) =>
        Assert.That(() => WebSocketFrames.ReadCloseStatus(payload), Throws.InstanceOf<WebSocketFrameException>()
            .With.Message.Contains(reason).And.Property(nameof(WebSocketFrameException.Status)).EqualTo(WebSocketFrames.ProtocolError));

    // Every byte in a segment of its own: the worst split of Kestrel's input.
    private static ReadOnlySequence<byte> OneSegmentPerByte(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
