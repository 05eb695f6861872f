using System.Text;

namespace Hub.Tests.WebSockets;

/// <summary>
/// The cases of the public Autobahn|TestSuite's fuzzing client (categories 1 framing, 2 ping/pong,
/// 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close), ported as frame sequences with
/// their ids, and a few more of the same kind (ids X.n) for what the suite leaves out. Autobahn
/// itself is Python and cannot be installed here (no PyPI), so its cases run from this list.
/// Where Autobahn expects an echo, a server that is no echo server is expected to stay open; where
/// it accepts either the client's close code or 1000 in answer to a close, 1000 is expected, as
/// SignalR's WebSocket transport answers. Text that must stay open is sent without SignalR's record
/// separator, so the hub keeps it as an unfinished message instead of parsing it.
/// </summary>
public static class AutobahnCases
{
    public const string Open = "open";
    public const string Closed = "close 1000";
    public const string ProtocolError = "close 1002";
    public const string InvalidPayload = "close 1007";

    private const byte Continuation = 0x0;
    private const byte Text = 0x1;
    private const byte Binary = 0x2;
    private const byte Close = 0x8;
    private const byte Ping = 0x9;
    private const byte Pong = 0xA;

    // A pause between frames that Autobahn sends apart ("frame-wise" chopping, its sleeps).
    private const int Pause = 20;

    private static readonly byte[] Kosme = "κόσμε"u8.ToArray();

    public static IEnumerable<ConformanceCase> All() =>
        Framing().Concat(PingPong()).Concat(ReservedBits()).Concat(Opcodes()).Concat(Fragmentation())
            .Concat(Utf8Handling()).Concat(CloseHandling()).Concat(Beyond());

    private static IEnumerable<ConformanceCase> Framing()
    {
        int[] lengths = [0, 125, 126, 127, 128, 65535, 65536];
        foreach (var (opcode, group) in new[] { (Text, "1.1"), (Binary, "1.2") })
        {
            var kind = opcode == Text ? "text" : "binary";
            for (var i = 0; i < lengths.Length; i++)
            {
                yield return Case($"{group}.{i + 1}", $"{kind} message of {lengths[i]} bytes", Open, Send(F(opcode, Filler(lengths[i]))));
            }

            yield return Case($"{group}.8", $"{kind} message of 65536 bytes, written 997 bytes at a time", Open, Chopped(997, F(opcode, Filler(65536))));
        }
    }

    private static IEnumerable<ConformanceCase> PingPong()
    {
        var hello = "Hello, world!"u8.ToArray();
        byte[] binary = [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
        var max = Enumerable.Repeat((byte)0xfe, 125).ToArray();
        var unsolicited = "unsolicited pong payload"u8.ToArray();
        var ten = Enumerable.Range(0, 10).Select(i => Encoding.ASCII.GetBytes($"payload-{i}")).ToArray();
        var tenPongs = string.Join(", ", ten.Select(p => $"pong '{Encoding.ASCII.GetString(p)}'")) + ", " + Open;

        yield return Case("2.1", "ping without payload", "pong '', open", Send(F(Ping, [])));
        yield return Case("2.2", "ping with a small text payload", "pong 'Hello, world!', open", Send(F(Ping, hello)));
        yield return Case("2.3", "ping with a small binary payload", "pong '00FFFEFDFCFB00FF', open", Send(F(Ping, binary)));
        yield return Case("2.4", "ping with a 125-byte payload", $"pong '{Convert.ToHexString(max)}', open", Send(F(Ping, max)));
        yield return Case("2.5", "ping with a 126-byte payload", ProtocolError, Send(F(Ping, [.. max, 0xfe])));
        yield return Case("2.6", "ping with a 125-byte payload, written a byte at a time", $"pong '{Convert.ToHexString(max)}', open", Chopped(1, F(Ping, max)));
        yield return Case("2.7", "unsolicited pong without payload", Open, Send(F(Pong, [])));
        yield return Case("2.8", "unsolicited pong with payload", Open, Send(F(Pong, unsolicited)));
        yield return Case("2.9", "unsolicited pong, then a ping", "pong 'ping payload', open", Send(F(Pong, unsolicited), F(Ping, "ping payload"u8.ToArray())));
        yield return Case("2.10", "10 pings", tenPongs, Send([.. ten.Select(p => F(Ping, p))]));
        yield return Case("2.11", "10 pings, written a byte at a time", tenPongs, Chopped(1, [.. ten.Select(p => F(Ping, p))]));
    }

    private static IEnumerable<ConformanceCase> ReservedBits()
    {
        var hello = "Hello, world!"u8.ToArray();
        yield return Case("3.1", "text with RSV = 1", ProtocolError, Send(F(Text, hello, rsv: 1)));
        yield return Case("3.2", "text, text with RSV = 2, ping", ProtocolError, Send(F(Text, hello)), Send(F(Text, hello, rsv: 2)), Send(F(Ping, hello)));
        yield return Case("3.3", "text, text with RSV = 3, ping, in one write", ProtocolError, Send(F(Text, hello), F(Text, hello, rsv: 3), F(Ping, hello)));
        yield return Case("3.4", "text, text with RSV = 4, ping, a byte at a time", ProtocolError, Chopped(1, F(Text, hello), F(Text, hello, rsv: 4), F(Ping, hello)));
        yield return Case("3.5", "binary with RSV = 5", ProtocolError, Send(F(Binary, [0xff, 0xfe, 0xfd], rsv: 5)));
        yield return Case("3.6", "ping with RSV = 6", ProtocolError, Send(F(Ping, hello, rsv: 6)));
        yield return Case("3.7", "close with RSV = 7", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(1000), rsv: 7)));
    }

    private static IEnumerable<ConformanceCase> Opcodes()
    {
        var hello = "Hello, world!"u8.ToArray();
        var reserved = "reserved opcode payload"u8.ToArray();
        foreach (var (group, first) in new[] { ("4.1", (byte)3), ("4.2", (byte)11) })
        {
            var kind = first < 8 ? "data" : "control";
            yield return Case($"{group}.1", $"{kind} frame of reserved opcode {first}", ProtocolError, Send(F(first, [])));
            yield return Case($"{group}.2", $"{kind} frame of reserved opcode {first + 1} with payload", ProtocolError, Send(F((byte)(first + 1), reserved)));
            yield return Case($"{group}.3", $"text, reserved opcode {first + 2}, ping", ProtocolError, Send(F(Text, hello), F((byte)(first + 2), []), F(Ping, hello)));
            yield return Case($"{group}.4", $"text, reserved opcode {first + 3} with payload, ping", ProtocolError, Send(F(Text, hello), F((byte)(first + 3), reserved), F(Ping, hello)));
            yield return Case($"{group}.5", $"text, reserved opcode {first + 4} with payload, ping, a byte at a time", ProtocolError, Chopped(1, F(Text, hello), F((byte)(first + 4), reserved), F(Ping, hello)));
        }
    }

    private static IEnumerable<ConformanceCase> Fragmentation()
    {
        var one = "fragment1"u8.ToArray();
        var two = "fragment2"u8.ToArray();
        var hello = "Hello, world!"u8.ToArray();
        byte[][] fragmented = [F(Text, one, fin: false), F(Continuation, two)];
        byte[][] pinged = [F(Text, one, fin: false), F(Ping, "ping payload"u8.ToArray()), F(Continuation, two)];
        byte[][] lonelyFinal = [F(Continuation, "non-continuation payload"u8.ToArray()), F(Text, hello)];
        byte[][] lonelyMore = [F(Continuation, "non-continuation payload"u8.ToArray(), fin: false), F(Text, hello)];

        yield return Case("5.1", "ping in 2 fragments", ProtocolError, Send(F(Ping, one, fin: false), F(Continuation, two)));
        yield return Case("5.2", "pong in 2 fragments", ProtocolError, Send(F(Pong, one, fin: false), F(Continuation, two)));
        foreach (var (ids, title, frames, expected) in new[]
        {
            ((3, 4, 5), "text in 2 fragments", fragmented, Open),
            ((6, 7, 8), "text in 2 fragments, a ping between them", pinged, "pong 'ping payload', open"),
            ((9, 10, 11), "continuation (FIN) with nothing to continue, then text", lonelyFinal, ProtocolError),
            ((12, 13, 14), "continuation (no FIN) with nothing to continue, then text", lonelyMore, ProtocolError),
        })
        {
            yield return Case($"5.{ids.Item1}", title, expected, Send(frames));
            yield return Case($"5.{ids.Item2}", $"{title}, a byte at a time", expected, Chopped(1, frames));
            yield return Case($"5.{ids.Item3}", $"{title}, frame by frame", expected, Apart(frames));
        }

        yield return Case("5.15", "text in 2 fragments, a continuation with nothing to continue, text", ProtocolError,
            Send(F(Text, one, fin: false), F(Continuation, two), F(Continuation, "fragment3"u8.ToArray(), fin: false), F(Text, "fragment4"u8.ToArray())));
        yield return Case("5.16", "twice: continuation (no FIN) with nothing to continue, text in 2 fragments", ProtocolError,
            Send(F(Continuation, one, fin: false), F(Text, two, fin: false), F(Continuation, one)), Send(F(Continuation, one, fin: false), F(Text, two, fin: false), F(Continuation, one)));
        yield return Case("5.17", "twice: continuation (FIN) with nothing to continue, text in 2 fragments", ProtocolError,
            Send(F(Continuation, one), F(Text, two, fin: false), F(Continuation, one)), Send(F(Continuation, one), F(Text, two, fin: false), F(Continuation, one)));
        yield return Case("5.18", "text in 2 fragments, both with the text opcode", ProtocolError, Send(F(Text, one, fin: false), F(Text, two)));

        byte[][] five =
        [
            F(Text, one, fin: false), F(Continuation, two, fin: false), F(Ping, "pongme 1!"u8.ToArray()),
            F(Continuation, "fragment3"u8.ToArray(), fin: false), F(Continuation, "fragment4"u8.ToArray(), fin: false),
            F(Ping, "pongme 2!"u8.ToArray()), F(Continuation, "fragment5"u8.ToArray()),
        ];
        yield return Case("5.19", "text in 5 fragments, pings between them, a pause in the middle", "pong 'pongme 1!', pong 'pongme 2!', open",
            Send(five[..3]), new ConformanceStep([.. five[3..].SelectMany(f => f)], PauseMs: 5 * Pause));
        yield return Case("5.20", "text in 5 fragments, pings between them, frame by frame", "pong 'pongme 1!', pong 'pongme 2!', open", Apart(five));
    }

    private static IEnumerable<ConformanceCase> Utf8Handling()
    {
        var hello = "Hello-µ@ßöäüàá-UTF-8!!"u8.ToArray();
        byte[] edited = [.. Kosme, 0xed, 0xa0, 0x80, .. "edited"u8];

        yield return Case("6.1.1", "empty text", Open, Send(F(Text, [])));
        yield return Case("6.1.2", "text in 3 empty fragments", Open, Send(F(Text, [], fin: false), F(Continuation, [], fin: false), F(Continuation, [])));
        yield return Case("6.1.3", "text in 3 fragments, the first and last empty", Open,
            Send(F(Text, [], fin: false), F(Continuation, "middle frame payload"u8.ToArray(), fin: false), F(Continuation, [])));
        yield return Case("6.2.1", "valid UTF-8 in one fragment", Open, Send(F(Text, hello)));
        yield return Case("6.2.2", "valid UTF-8 in 2 fragments, split between code points", Open,
            Send(F(Text, "Hello-µ@ßö"u8.ToArray(), fin: false), F(Continuation, "äüàá-UTF-8!!"u8.ToArray())));
        yield return Case("6.2.3", "valid UTF-8, a fragment per byte", Open, Send(PerByte(hello)));
        yield return Case("6.2.4", "valid UTF-8 (κόσμε), a fragment per byte", Open, Send(PerByte(Kosme)));
        yield return Case("6.3.1", "invalid UTF-8 in one fragment", InvalidPayload, Send(F(Text, edited)));
        yield return Case("6.3.2", "invalid UTF-8, a fragment per byte", InvalidPayload, Send(PerByte(edited)));

        // 6.4: Autobahn checks that a server fails the connection as soon as the invalid bytes
        // come, before the rest; compared here is the verdict once everything was sent (SignalR's
        // transport waits for a whole frame before it checks it, the direct path does not).
        byte[] outOfRange = [0xf4, 0x90, 0x80, 0x80];
        yield return Case("6.4.1", "invalid UTF-8 in the middle fragment of 3, sent apart", InvalidPayload,
            Apart(F(Text, Kosme, fin: false), F(Continuation, outOfRange, fin: false), F(Continuation, "edited"u8.ToArray())));
        yield return Case("6.4.2", "invalid UTF-8 across 3 fragments, the bad byte alone, sent apart", InvalidPayload,
            Apart(F(Text, [.. Kosme, 0xf4], fin: false), F(Continuation, [0x90], fin: false), F(Continuation, [0x80, 0x80, .. "edited"u8])));
        byte[] whole = [.. Kosme, .. outOfRange, .. "edited"u8];
        yield return Case("6.4.3", "invalid UTF-8 in one frame, written in 3 pieces", InvalidPayload, Pieces(whole, Kosme.Length, Kosme.Length + 4));
        yield return Case("6.4.4", "invalid UTF-8 in one frame, written in 4 pieces", InvalidPayload, Pieces(whole, Kosme.Length, Kosme.Length + 1, Kosme.Length + 2));

        foreach (var (section, sequences) in Utf8Sequences())
        {
            for (var i = 0; i < sequences.Length; i++)
            {
                var bytes = sequences[i];
                var valid = System.Text.Unicode.Utf8.IsValid(bytes);
                yield return Case($"{section}.{i + 1}", $"{(valid ? "valid" : "invalid")} UTF-8 {Convert.ToHexString(bytes.Length > 16 ? bytes[..16] : bytes)}{(bytes.Length > 16 ? "…" : "")}",
                    valid ? Open : InvalidPayload, Send(F(Text, bytes)));
            }
        }
    }

    // Autobahn's 6.5 to 6.23, after Markus Kuhn's UTF-8 decoder stress test.
    private static IEnumerable<(string Section, byte[][] Sequences)> Utf8Sequences()
    {
        static byte[] Each(IEnumerable<int> bytes, bool spaced) => [.. bytes.SelectMany(b => spaced ? new[] { (byte)b, (byte)' ' } : [(byte)b])];

        yield return ("6.5", ["hello$world"u8.ToArray(), "hello¢world"u8.ToArray(), "hello€world"u8.ToArray(), "hello𤭢world"u8.ToArray(), Kosme]);
        yield return ("6.6", [.. Enumerable.Range(1, Kosme.Length).Select(n => Kosme[..n])]);
        yield return ("6.7", [[0x00], [0xc2, 0x80], [0xe0, 0xa0, 0x80], [0xf0, 0x90, 0x80, 0x80]]);
        yield return ("6.8", [[0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]]);
        yield return ("6.9", [[0x7f], [0xdf, 0xbf], [0xef, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]]);
        yield return ("6.10", [[0xf7, 0xbf, 0xbf, 0xbf], [0xfb, 0xbf, 0xbf, 0xbf, 0xbf], [0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]]);
        yield return ("6.11", [[0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xef, 0xbf, 0xbd], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80]]);
        yield return ("6.12", [[0x80], [0xbf], [0x80, 0xbf], [0x80, 0xbf, 0x80], [0x80, 0xbf, 0x80, 0xbf], [0x80, 0xbf, 0x80, 0xbf, 0x80],
            [0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf], Each(Enumerable.Range(0x80, 64), spaced: false)]);
        yield return ("6.13", [Each(Enumerable.Range(0xc0, 32), spaced: true), Each(Enumerable.Range(0xe0, 16), spaced: true),
            Each(Enumerable.Range(0xf0, 8), spaced: true), Each(Enumerable.Range(0xf8, 4), spaced: true), Each(Enumerable.Range(0xfc, 2), spaced: true)]);
        byte[][] lastMissing =
        [
            [0xc0], [0xe0, 0x80], [0xf0, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80], [0xfc, 0x80, 0x80, 0x80, 0x80],
            [0xdf], [0xef, 0xbf], [0xf7, 0xbf, 0xbf], [0xfb, 0xbf, 0xbf, 0xbf], [0xfd, 0xbf, 0xbf, 0xbf, 0xbf],
        ];
        yield return ("6.14", lastMissing);
        yield return ("6.15", [[.. lastMissing.SelectMany(s => s)]]);
        yield return ("6.16", [[0xfe], [0xff], [0xfe, 0xfe, 0xff, 0xff]]);
        yield return ("6.17", [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xf8, 0x80, 0x80, 0x80, 0xaf], [0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf]]);
        yield return ("6.18", [[0xc1, 0xbf], [0xe0, 0x9f, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf8, 0x87, 0xbf, 0xbf, 0xbf], [0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf]]);
        yield return ("6.19", [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80, 0x80], [0xfc, 0x80, 0x80, 0x80, 0x80, 0x80]]);
        yield return ("6.20", [[0xed, 0xa0, 0x80], [0xed, 0xad, 0xbf], [0xed, 0xae, 0x80], [0xed, 0xaf, 0xbf], [0xed, 0xb0, 0x80], [0xed, 0xbe, 0x80], [0xed, 0xbf, 0xbf]]);
        byte[][] high = [[0xed, 0xa0, 0x80], [0xed, 0xad, 0xbf], [0xed, 0xae, 0x80], [0xed, 0xaf, 0xbf]];
        byte[][] low = [[0xed, 0xb0, 0x80], [0xed, 0xbf, 0xbf]];
        yield return ("6.21", [.. high.SelectMany(h => low.Select(l => (byte[])[.. h, .. l]))]);

        // Non-characters are valid UTF-8: U+FFFE, U+FFFF and the last two of every plane.
        yield return ("6.22", [.. new[] { 0xFFFE, 0xFFFF }.Concat(Enumerable.Range(1, 16).SelectMany(plane => new[] { (plane << 16) | 0xFFFE, (plane << 16) | 0xFFFF }))
            .Select(scalar => Encoding.UTF8.GetBytes(char.ConvertFromUtf32(scalar)))]);
        yield return ("6.23", [.. Enumerable.Range(0xFFF9, 7).Select(scalar => Encoding.UTF8.GetBytes(char.ConvertFromUtf32(scalar)))]);
    }

    private static IEnumerable<ConformanceCase> CloseHandling()
    {
        var hello = "Hello World!"u8.ToArray();
        var close = F(Close, ClientFrame.ClosePayload(1000));
        yield return Case("7.1.1", "text, then close", Closed, Send(F(Text, hello), close));
        yield return Case("7.1.2", "close twice", Closed, Send(close, F(Close, ClientFrame.ClosePayload(1000))));
        yield return Case("7.1.3", "close, then ping (not answered)", Closed, Send(close, F(Ping, hello)));
        yield return Case("7.1.4", "close, then text", Closed, Send(close, F(Text, hello)));
        yield return Case("7.1.5", "first fragment of a text, close, last fragment", Closed,
            Send(F(Text, "fragment1"u8.ToArray(), fin: false), close, F(Continuation, "fragment2"u8.ToArray())));
        yield return Case("7.1.6", "256 KiB text, close, ping", Closed, Send(F(Text, Filler(256 * 1024)), close, F(Ping, hello)));

        yield return Case("7.3.1", "close without payload", Closed, Send(F(Close, [])));
        yield return Case("7.3.2", "close with a 1-byte payload", ProtocolError, Send(F(Close, "a"u8.ToArray())));
        yield return Case("7.3.3", "close with a code and no reason", Closed, Send(close));
        yield return Case("7.3.4", "close with a code and a short reason", Closed, Send(F(Close, ClientFrame.ClosePayload(1000, hello))));
        yield return Case("7.3.5", "close with a 123-byte reason", Closed, Send(F(Close, ClientFrame.ClosePayload(1000, Stars(123)))));
        yield return Case("7.3.6", "close with a 124-byte reason (a control frame of 126 bytes)", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(1000, Stars(124)))));
        yield return Case("7.5.1", "close with a reason that is not UTF-8", ProtocolError,
            Send(F(Close, ClientFrame.ClosePayload(1000, [.. Kosme, 0xed, 0xa0, 0x80, .. "edited"u8]))));

        ushort[] valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
        for (var i = 0; i < valid.Length; i++)
        {
            yield return Case($"7.7.{i + 1}", $"close with the valid code {valid[i]}", Closed, Send(F(Close, ClientFrame.ClosePayload(valid[i]))));
        }

        ushort[] invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
        for (var i = 0; i < invalid.Length; i++)
        {
            yield return Case($"7.9.{i + 1}", $"close with the invalid code {invalid[i]}", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(invalid[i]))));
        }

        yield return Case("7.13.1", "close with the invalid code 5000", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(5000))));
        yield return Case("7.13.2", "close with the invalid code 65535", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(65535))));
    }

    // What Autobahn leaves out: the codes registered since it was written, lengths written in more
    // bytes than they need (which ManagedWebSocket accepts), text split inside a code point, and
    // frames no Autobahn client sends (unmasked).
    private static IEnumerable<ConformanceCase> Beyond()
    {
        var hello = "hello"u8.ToArray();
        var euro = "€"u8.ToArray();
        ushort[] registered = [1012, 1013, 1014];
        for (var i = 0; i < registered.Length; i++)
        {
            yield return Case($"X.{i + 1}", $"close with the code {registered[i]}, registered since RFC 6455", Closed, Send(F(Close, ClientFrame.ClosePayload(registered[i]))));
        }

        yield return Case("X.4", "close with the code 1015, which is never sent", ProtocolError, Send(F(Close, ClientFrame.ClosePayload(1015))));
        yield return Case("X.5", "ping whose length 5 is written in 16 bits", "pong 'hello', open", Send(F(Ping, hello, lengthBytes: 2)));
        yield return Case("X.6", "ping whose length 5 is written in 64 bits", "pong 'hello', open", Send(F(Ping, hello, lengthBytes: 8)));
        yield return Case("X.7", "text whose length 5 is written in 64 bits", Open, Send(F(Text, hello, lengthBytes: 8)));
        yield return Case("X.8", "binary whose 64-bit length has its most significant bit set", ProtocolError, Send(F(Binary, hello, declaredLength: 1UL << 63)));
        yield return Case("X.9", "pong of 126 bytes", ProtocolError, Send(F(Pong, Stars(126))));
        yield return Case("X.10", "binary that is not UTF-8 (binary is not checked)", Open, Send(F(Binary, [0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80])));
        yield return Case("X.11", "text inside a fragmented binary message", ProtocolError, Send(F(Binary, hello, fin: false), F(Text, hello)));
        yield return Case("X.12", "text with € split inside its code point across 2 fragments", Open, Send(F(Text, euro[..1], fin: false), F(Continuation, euro[1..])));
        yield return Case("X.13", "text with € a byte per fragment, with pings between", "pong 'a', pong 'b', open",
            Send(F(Text, euro[..1], fin: false), F(Ping, "a"u8.ToArray()), F(Continuation, euro[1..2], fin: false), F(Ping, "b"u8.ToArray()), F(Continuation, euro[2..])));
        yield return Case("X.14", "text whose second fragment does not finish the first's code point", InvalidPayload, Send(F(Text, euro[..2], fin: false), F(Continuation, "A"u8.ToArray())));
        yield return Case("X.15", "text ending inside a code point, its last fragment non-empty", InvalidPayload, Send(F(Text, hello, fin: false), F(Continuation, euro[..2])));
        yield return Case("X.16", "binary that ends inside a code point, then text", Open, Send(F(Binary, euro[..2]), F(Text, hello)));
        yield return Case("X.17", "text in 2 fragments, split inside a code point, written a byte at a time", Open, Chopped(1, F(Text, [.. hello, euro[0]], fin: false), F(Continuation, [.. euro[1..], .. hello])));
        yield return Case("X.18", "text ending inside a code point with an empty last fragment, then text", InvalidPayload,
            Send(F(Text, euro[..2], fin: false), F(Continuation, []), F(Text, hello)));
        yield return Case("X.19", "unmasked text", ProtocolError, Send(ClientFrame.Build(Text, hello, mask: false)));
        yield return Case("X.20", "unmasked ping", ProtocolError, Send(ClientFrame.Build(Ping, hello, mask: false)));
        yield return Case("X.21", "continuation with RSV1 set", ProtocolError, Send(F(Text, hello, fin: false), F(Continuation, hello, rsv: 4)));
    }

    /// <summary>
    /// Where ManagedWebSocket is laxer than RFC 6455 and the direct path is not: a text message
    /// whose empty last fragment leaves a code point cut short. ManagedWebSocket checks UTF-8 only
    /// on payload it returns, so it notices only when the next text message comes (X.18); the
    /// direct path closes with 1007 at the message's end, as §8.1 asks.
    /// </summary>
    public static IEnumerable<ConformanceCase> StricterThanManagedWebSocket()
    {
        var euro = "€"u8.ToArray();
        yield return Case("S.1", "text ending inside a code point with an empty last fragment", InvalidPayload, Send(F(Text, euro[..2], fin: false), F(Continuation, [])));
        yield return Case("S.2", "text ending inside a code point with an empty last fragment, then binary", InvalidPayload,
            Send(F(Text, euro[..2], fin: false), F(Continuation, []), F(Binary, "hello"u8.ToArray())));
    }

    private static ConformanceCase Case(string id, string title, string expected, params ConformanceStep[] steps) => new(id, title, expected, steps);

    private static byte[] F(byte opcode, byte[] payload, bool fin = true, int rsv = 0, int? lengthBytes = null, ulong? declaredLength = null) =>
        ClientFrame.Build(opcode, payload, fin, rsv: rsv, lengthBytes: lengthBytes, declaredLength: declaredLength);

    private static ConformanceStep Send(params byte[][] frames) => new([.. frames.SelectMany(f => f)]);

    private static ConformanceStep Chopped(int chunk, params byte[][] frames) => new([.. frames.SelectMany(f => f)], Chunk: chunk);

    private static ConformanceStep[] Apart(params byte[][] frames) => [.. frames.Select(f => new ConformanceStep(f, PauseMs: Pause))];

    // A text message of the bytes, one fragment per byte.
    private static byte[][] PerByte(byte[] text) =>
        [.. text.Select((b, i) => F(i == 0 ? Text : Continuation, [b], fin: i == text.Length - 1))];

    // One text frame of the payload, written in pieces cut at the given payload offsets, apart.
    private static ConformanceStep[] Pieces(byte[] payload, params int[] cuts)
    {
        var frame = F(Text, payload);
        var header = frame.Length - payload.Length;
        int[] bounds = [0, .. cuts.Select(c => header + c), frame.Length];
        return [.. bounds.Zip(bounds.Skip(1)).Select(b => new ConformanceStep(frame[b.First..b.Second], PauseMs: Pause))];
    }

    // Payload of the length asked for that the hub takes as it is: SignalR pings ({"type":6} and
    // the record separator), after as many spaces as the length leaves over.
    private static byte[] Filler(int length)
    {
        var ping = "{\"type\":6}\u001e"u8;
        var bytes = new byte[length];
        var spaces = length % ping.Length;
        bytes.AsSpan(0, spaces).Fill((byte)' ');
        for (var at = spaces; at < length; at += ping.Length)
        {
            ping.CopyTo(bytes.AsSpan(at));
        }

        return bytes;
    }

    private static byte[] Stars(int count) => Enumerable.Repeat((byte)'*', count).ToArray();
}
