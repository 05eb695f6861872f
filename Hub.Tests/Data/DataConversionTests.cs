using System.Buffers;
using System.Text.Json;
using Hub.Client.Internal;
using MessagePack;

namespace Hub.Tests.Data;

/// <summary>
/// A message's data between JSON and MessagePack, without a node: what JSON carries comes back from
/// MessagePack unchanged and the reverse, and what one of them cannot hold is refused with the reason.
/// </summary>
public sealed class DataConversionTests
{
    private static readonly MessagePackSerializerOptions Options = JsonDataFormatter.Carrying(MessagePackSerializerOptions.Standard);

    public static IEnumerable<TestCaseData> Shapes() => DataShapes.All.Select(s => new TestCaseData(s.Json).SetArgDisplayNames(s.Name));

    [TestCaseSource(nameof(Shapes))]
    public void JsonData_ThroughMessagePack_ComesBackTheSame(string json)
    {
        var data = DataShapes.Parse(json);

        var back = MessagePackSerializer.Deserialize<JsonElement>(MessagePackSerializer.Serialize(data, Options), Options);

        DataShapes.AssertSame(data, back, "JSON → MessagePack → JSON");
        Assert.That(JsonData.Check(data, out _), Is.Null, "every shape passes the rules");
    }

    [TestCaseSource(nameof(Shapes))]
    public void MessagePackData_ThroughJson_ComesBackByteForByte(string json)
    {
        var packed = MessagePackSerializer.Serialize(DataShapes.Parse(json), Options);

        var asJson = MessagePackSerializer.Deserialize<JsonElement>(packed, Options);
        var repacked = MessagePackSerializer.Serialize(asJson, Options);

        Assert.That(repacked, Is.EqualTo(packed), MessagePackSerializer.ConvertToJson(packed));
    }

    [Test]
    public void MessagePackValues_AreTheNativeOnes_ThatAMessagePackClientReads()
    {
        var packed = MessagePackSerializer.Serialize(
            DataShapes.Parse("""{"i":9007199254740993,"u":18446744073709551615,"d":0.1,"z":-0,"s":"é","b":true,"n":null,"a":[]}"""), Options);

        var reader = new MessagePackReader(packed);
        var members = reader.ReadMapHeader();
        var read = new List<object?>();
        for (var i = 0; i < members; i++)
        {
            read.Add(reader.ReadString());
            read.Add(reader.NextMessagePackType switch
            {
                MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64 => reader.ReadUInt64(),
                MessagePackType.Integer => reader.ReadInt64(),
                MessagePackType.Float => reader.ReadDouble(),
                MessagePackType.String => reader.ReadString(),
                MessagePackType.Boolean => reader.ReadBoolean(),
                MessagePackType.Nil => reader.TryReadNil() ? null : "?",
                MessagePackType.Array => $"array of {reader.ReadArrayHeader()}",
                var other => $"a {other}",
            });
        }

        Assert.That(read, Is.EqualTo(new object?[]
        {
            "i", 9007199254740993L, "u", ulong.MaxValue, "d", 0.1, "z", -0.0, "s", "é", "b", true, "n", null, "a", "array of 0",
        }));
        Assert.That(double.IsNegative((double)read[7]!), "-0 is a negative double zero");
    }

    [Test]
    public void AFloat32_WidensToTheDoubleOfItsValue()
    {
        var writer = new ArrayBufferWriter<byte>();
        var packer = new MessagePackWriter(writer);
        packer.Write(0.1f);
        packer.Flush();

        var data = MessagePackSerializer.Deserialize<JsonElement>(writer.WrittenMemory, Options);

        Assert.That(data.GetDouble(), Is.EqualTo((double)0.1f));
    }

    private static IEnumerable<TestCaseData> UncarriedMessagePack()
    {
        yield return Case("binary", (ref MessagePackWriter w) => w.Write(new byte[] { 1, 2, 3 }), "MessagePack binary");
        yield return Case("a timestamp", (ref MessagePackWriter w) => w.Write(DateTime.UtcNow), "MessagePack extension");
        yield return Case("NaN", (ref MessagePackWriter w) => w.Write(double.NaN), "NaN or an infinity");
        yield return Case("an infinity", (ref MessagePackWriter w) => w.Write(float.NegativeInfinity), "NaN or an infinity");
        yield return Case("an integer key", (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write(1);
            w.Write("one");
        }, "with a Integer key");
        yield return Case("a string that is not UTF-8", (ref MessagePackWriter w) =>
        {
            w.WriteStringHeader(3);
            w.WriteRaw(new byte[] { 0xED, 0xA0, 0x80 });
        }, "not valid Unicode");
        yield return Case("nesting 33 deep", (ref MessagePackWriter w) =>
        {
            for (var i = 0; i < 33; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.Write(1);
        }, "nested more than 32 levels");
    }

    private delegate void Pack(ref MessagePackWriter writer);

    private static TestCaseData Case(string name, Pack pack, string reason)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        pack(ref writer);
        writer.Flush();
        return new TestCaseData(buffer.WrittenMemory.ToArray(), reason).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(UncarriedMessagePack))]
    public void MessagePackThatJsonCannotCarry_IsRefused_WithTheReason(byte[] packed, string reason)
    {
        var error = Assert.Catch(() => MessagePackSerializer.Deserialize<JsonElement>(packed, Options));

        Assert.That(Causes(error!).OfType<DataFormatException>().Single().Message, Does.Contain(reason));
    }

    [TestCase("0.10000000000000001", "come back as 0.1")]
    [TestCase("18446744073709551616", "come back as 1.8446744073709552E+19")]
    [TestCase("-9223372036854775809", "come back as -9.223372036854776E+18")]
    [TestCase("1e400", "beyond a double's range")]
    [TestCase("1e-400", "come back as 0")]
    [TestCase("123456789012345678901234567890", "come back as 1.2345678901234568E+29")]
    public void AJsonNumberMessagePackWouldChange_IsRefused_BothWays(string number, string reason)
    {
        var data = DataShapes.Parse($"[{number}]");

        Assert.That(JsonData.Check(data, out _), Does.Contain(reason).And.Contain("Send it as a string"));
        var error = Assert.Catch(() => MessagePackSerializer.Serialize(data, Options));
        Assert.That(Causes(error!).OfType<DataFormatException>().Single().Message, Does.Contain(reason));
    }

    [TestCase("1.50")]
    [TestCase("15e-1")]
    [TestCase("0.0")]
    [TestCase("-0.0")]
    [TestCase("1E2")]
    [TestCase("100000000000000000000")]
    [TestCase("4.9406564584124654e-324")]
    public void AJsonNumberWrittenOtherwise_IsCarried_AsItsValue(string number)
    {
        var data = DataShapes.Parse(number);
        if (number == "4.9406564584124654e-324")
        {
            // Not the shortest text of the double it reads as (5E-324), so its value would change.
            Assert.That(JsonData.Check(data, out _), Does.Contain("come back as 5E-324"));
            return;
        }

        var back = MessagePackSerializer.Deserialize<JsonElement>(MessagePackSerializer.Serialize(data, Options), Options);

        Assert.That(JsonData.Check(data, out _), Is.Null);
        DataShapes.AssertSame(data, back, number);
    }

    [Test]
    public void NestingDeeperThan32_IsRefused_AtEitherEnd()
    {
        Assert.That(JsonData.Check(DataShapes.Parse(DataShapes.Nested(32)), out _), Is.Null);
        var tooDeep = DataShapes.Parse(DataShapes.Nested(33));

        Assert.That(JsonData.Check(tooDeep, out _), Does.Contain("nested more than 32 levels"));
        Assert.That(Causes(Assert.Catch(() => MessagePackSerializer.Serialize(tooDeep, Options))!).OfType<DataFormatException>(), Is.Not.Empty);
    }

    [TestCase("\"plain\"", 7)]
    [TestCase("\"é\"", 4)]
    [TestCase("\"😀\"", 6)]
    [TestCase("\"\\ud83d\\ude00\"", 6)]
    [TestCase("\"\\u00e9\\u003c\"", 5)]
    [TestCase("\"\\u0001\\n\\\"\\\\\\u007f\"", 15)]
    [TestCase("{ \"a\" : [ 1 , 2.50 , true , false , null ] }", 30)]
    [TestCase("{\"\\u00e9\":{}}", 9)]
    public void TheSize_IsThatOfTheJsonJsonStringifyWrites(string json, long size)
    {
        Assert.That(JsonData.Check(DataShapes.Parse(json), out var measured), Is.Null);

        Assert.That(measured, Is.EqualTo(size));
    }

    [TestCase("null", "data is null")]
    [TestCase("\"\\ud800\"", "not valid Unicode")]
    [TestCase("{\"\\udc00\":1}", "not valid Unicode")]
    public void NullAndLoneSurrogates_AreRefused(string json, string reason)
    {
        Assert.That(JsonData.Check(DataShapes.Parse(json), out _), Does.Contain(reason));
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        for (var cause = error; cause is not null; cause = cause.InnerException)
        {
            yield return cause;
        }
    }
}
