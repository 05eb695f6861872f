using System.Buffers;
using System.Text;
using Hub.Server.WebSockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hub.Tests.WebSockets;

/// <summary>
/// The direct path's reading of a head, without a node: what it takes, what it leaves to HTTP, and
/// that neither depends on how the bytes arrived.
/// </summary>
public sealed class UpgradeHeadReaderTests
{
    private const string Valid =
        "GET /hub?user=ada HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Test]
    public void AValidUpgrade_IsRead_WithItsPathQueryAndHeaders()
    {
        var status = Read(Valid + "trailing frame bytes", out var request, out var consumed);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HeadStatus.Upgrade));
            Assert.That(consumed, Is.EqualTo(Valid.Length), "the head ends at its blank line; what follows is the WebSocket's");
            Assert.That(request!.Path, Is.EqualTo("/hub"));
            Assert.That(request.QueryString, Is.EqualTo("?user=ada"));
            Assert.That(request.Headers.Host.ToString(), Is.EqualTo("127.0.0.1:5000"));
            Assert.That(request.AcceptKey(), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455's own example");
        });
    }

    [Test]
    public void TheSameBytes_GiveTheSameAnswer_HoweverTheyAreSplit([Values(Valid, "GET /hub HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n")] string head)
    {
        var whole = Read(head, out _, out _);
        for (var split = 1; split < head.Length; split++)
        {
            Assert.That(Read(Split(Encoding.Latin1.GetBytes(head), split), out _, out _), Is.EqualTo(whole), $"split at byte {split}");
        }
    }

    [Test]
    public void EveryPrefixOfAValidHead_IsIncomplete()
    {
        for (var length = 0; length < Valid.Length; length++)
        {
            Assert.That(Read(Valid[..length], out _, out _), Is.EqualTo(HeadStatus.Incomplete), $"the first {length} bytes");
        }
    }

    [TestCase("POST /hub HTTP/1.1\r\n", TestName = "another method")]
    [TestCase("GET /hubs HTTP/1.1\r\n", TestName = "another path")]
    [TestCase("GET /other HTTP/1.1\r\n", TestName = "another path, told at its first byte")]
    [TestCase("GET /hub HTTP/1.1\n", TestName = "a bare LF")]
    [TestCase("GET /hub HTTP/1.1\r\nHost: a\rb", TestName = "a bare CR")]
    [TestCase("GET /hub?\u00ff HTTP/1.1\r\n", TestName = "a byte over 0x7E")]
    [TestCase("GET /hub?\0 HTTP/1.1\r\n", TestName = "a NUL")]
    [TestCase("\u0016\u0003\u0001", TestName = "a TLS client hello")]
    public void AHeadThatCannotBeAnUpgrade_IsLeftToHttp_AsSoonAsItsBytesShowIt(string start)
    {
        Assert.That(Read(start, out _, out _), Is.EqualTo(HeadStatus.NotServed));
    }

    [TestCase("Host: 127.0.0.1:5000", "Host: a:1\r\nHost: b:2", TestName = "two hosts")]
    [TestCase("Host: 127.0.0.1:5000", "Host: a@b", TestName = "a host with user info")]
    [TestCase("Host: 127.0.0.1:5000", "Host: a:99999", TestName = "a port over 65535")]
    [TestCase("Upgrade: websocket", "Upgrade: websocket, foo", TestName = "an Upgrade list")]
    [TestCase("Upgrade: websocket", "Upgrade: websocket\r\nUpgrade: websocket", TestName = "two Upgrade headers")]
    [TestCase("Connection: Upgrade", "Connection: keep-alive", TestName = "no upgrade in Connection")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13, 8", TestName = "a version list")]
    [TestCase("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: c2hvcnQ=", TestName = "a key of 5 bytes")]
    [TestCase("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", TestName = "two keys")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nOrigin: a\r\nOrigin: b", TestName = "two origins")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nAuthorization: a\r\nAuthorization: b", TestName = "two Authorization headers")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nContent-Length: 0", TestName = "a Content-Length")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nTransfer-Encoding: chunked", TestName = "a Transfer-Encoding")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat", TestName = "a subprotocol")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nAccept: text/event-stream", TestName = "an event stream")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nX-Forwarded-Host: evil.example", TestName = "a host named by a proxy")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nForwarded: host=evil.example", TestName = "a Forwarded header")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nX(A): 1", TestName = "a header name that is no token")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nX-A : 1", TestName = "a space before a colon")]
    [TestCase("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nX-A: 1\r\n folded", TestName = "an obs-fold")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /hub?user=ada  HTTP/1.1", TestName = "two spaces before the version")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /hub?user=ada HTTP/1.0", TestName = "HTTP/1.0")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /h%75b HTTP/1.1", TestName = "an encoded path")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /hub?x={ HTTP/1.1", TestName = "a brace in the query")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /hub?x=%zz HTTP/1.1", TestName = "a broken percent-encoding")]
    [TestCase("GET /hub?user=ada HTTP/1.1", "GET /hub#x HTTP/1.1", TestName = "a fragment")]
    public void AnUnusualHead_IsLeftToHttp(string line, string replacement)
    {
        Assert.That(Read(Valid.Replace(line, replacement), out var request, out _), Is.EqualTo(HeadStatus.NotServed));
        Assert.That(request, Is.Null);
    }

    [Test]
    public void KestrelsLimits_AreKept_ByTheByte()
    {
        var limits = new KestrelServerLimits { MaxRequestLineSize = 100, MaxRequestHeaderCount = 8, MaxRequestHeadersTotalSize = 300 };
        string Line(int length) => "GET /hub?x=" + new string('a', length - "GET /hub?x= HTTP/1.1\r\n".Length) + " HTTP/1.1";
        string Head(string line, int extraHeaders, int padding = 0) =>
            Valid.Replace("GET /hub?user=ada HTTP/1.1", line)
                .Replace("\r\n\r\n", "\r\n" + string.Concat(Enumerable.Range(0, extraHeaders).Select(i => $"X-{i}: {i}\r\n")) + (padding > 0 ? $"X-P: {new string('p', padding)}\r\n" : "") + "\r\n");
        var headerBytes = Head("GET /hub HTTP/1.1", 0).Length - "GET /hub HTTP/1.1\r\n".Length;

        Assert.Multiple(() =>
        {
            // Kestrel takes a request line of MaxRequestLineSize bytes with its CRLF; the direct path one less.
            Assert.That(Read(Head(Line(99), 0), out _, out _, limits), Is.EqualTo(HeadStatus.Upgrade));
            Assert.That(Read(Head(Line(100), 0), out _, out _, limits), Is.EqualTo(HeadStatus.NotServed));
            Assert.That(Read(Head("GET /hub HTTP/1.1", 3), out _, out _, limits), Is.EqualTo(HeadStatus.Upgrade), "8 headers");
            Assert.That(Read(Head("GET /hub HTTP/1.1", 4), out _, out _, limits), Is.EqualTo(HeadStatus.NotServed), "9 headers");
            // Kestrel takes MaxRequestHeadersTotalSize bytes of header lines and two more for the
            // blank line; the direct path takes that many with the blank line.
            var fill = 300 - headerBytes - "X-P: \r\n".Length;
            Assert.That(Read(Head("GET /hub HTTP/1.1", 0, fill), out _, out _, limits), Is.EqualTo(HeadStatus.Upgrade), "header lines and blank line of 300 bytes");
            Assert.That(Read(Head("GET /hub HTTP/1.1", 0, fill + 1), out _, out _, limits), Is.EqualTo(HeadStatus.NotServed), "header lines and blank line of 301 bytes");
            Assert.That(Read(Head("GET /hub HTTP/1.1", 0, 1000)[..400], out _, out _, limits), Is.EqualTo(HeadStatus.NotServed), "an unfinished head over the limit");
        });
    }

    private static HeadStatus Read(string head, out UpgradeRequest? request, out long consumed, KestrelServerLimits? limits = null) =>
        Read(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head)), out request, out consumed, limits);

    private static HeadStatus Read(ReadOnlySequence<byte> bytes, out UpgradeRequest? request, out long consumed, KestrelServerLimits? limits = null)
    {
        var status = UpgradeHeadReader.Read(bytes, "/hub", limits ?? new KestrelServerLimits(), out request, out var end);
        consumed = status == HeadStatus.Upgrade ? bytes.Slice(0, end).Length : 0;
        return status;
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsMemory(0, at));
        var last = first.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
