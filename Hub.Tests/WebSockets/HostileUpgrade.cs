using System.Text;
using Hub.Tests.Auth;

namespace Hub.Tests.WebSockets;

/// <summary>
/// One request of the differential suite: its bytes for a node (its authority, and a valid token
/// when the node is in Jwt mode), how they are written, and the status HTTP must answer (null
/// where only agreement between the two paths is asserted).
/// </summary>
public sealed record HostileUpgrade(string Name, Func<string, string?, IReadOnlyList<byte[]>> Parts, int? Expected, int? ExpectedJwt)
{
    /// <summary>Pause between parts (a trickle).</summary>
    public TimeSpan Gap { get; init; }

    /// <summary>
    /// The node fails the connection right after its answer (bytes that follow the head are read as
    /// frames, and are none): its reset can reach the client before the answer is read, and then
    /// takes the answer with it. A reset then counts as the expected answer, on either path.
    /// </summary>
    public bool ResetMayHideTheAnswer { get; init; }

    public override string ToString() => Name;

    /// <summary>Every case: valid upgrades, the origin and host checks, the parser, limits, semantics, timing, auth.</summary>
    public static IEnumerable<HostileUpgrade> All()
    {
        const int Ok = 101, Bad = 400, Forbidden = 403, Unauthorized = 401, TooLong = 414, TooLarge = 431;
        const string Evil = "Origin: https://evil.example";

        HostileUpgrade Case(string name, Func<UpgradeBytes, UpgradeBytes> change, int? expected, int? expectedJwt = -2) =>
            new(name, (authority, token) => [change(new UpgradeBytes(authority, token)).ToBytes()], expected, expectedJwt == -2 ? expected : expectedJwt);

        HostileUpgrade Raw(string name, Func<string, string> text, int? expected) =>
            new(name, (authority, _) => [Encoding.Latin1.GetBytes(text(authority))], expected, expected);

        // What a well-behaved client sends: served by both.
        yield return Case("valid", r => r, Ok);
        yield return Case("same-host origin", r => r.With($"Origin: http://{r.Authority}"), Ok);
        yield return Case("allowed origin", r => r.With($"Origin: {DirectPathDifferentialTests.AllowedOrigin}"), Ok);
        yield return Case("Connection list with upgrade", r => r.Replace("Connection", "Connection: keep-alive, Upgrade"), Ok);
        yield return Case("path in capitals", r => r.Target("/HUB"), Ok);
        yield return Case("user in query", r => r.Target("/hub?user=alice"), Ok);
        yield return Case("Upgrade in capitals", r => r.Replace("Upgrade", "Upgrade: WebSocket"), Ok);
        yield return Case("browser headers", r => r.With("User-Agent: test", "Accept-Encoding: gzip", "Cache-Control: no-cache", "Sec-WebSocket-Extensions: permessage-deflate"), Ok);

        // The origin allow-list, whatever the Upgrade header says.
        yield return Case("foreign origin", r => r.With(Evil), Forbidden);
        yield return Case("foreign origin, Upgrade list", r => r.Replace("Upgrade", "Upgrade: websocket, foo").With(Evil), Forbidden);
        yield return Case("foreign origin, Upgrade list reversed", r => r.Replace("Upgrade", "Upgrade: foo, websocket").With(Evil), Forbidden);
        yield return Case("foreign origin, two Upgrade headers", r => r.With("Upgrade: foo", Evil), Forbidden);
        yield return Case("allowed and foreign origin", r => r.With($"Origin: {DirectPathDifferentialTests.AllowedOrigin}", Evil), Forbidden);
        yield return Case("two allowed origins", r => r.With($"Origin: {DirectPathDifferentialTests.AllowedOrigin}", $"Origin: {DirectPathDifferentialTests.AllowedOrigin}"), Forbidden);
        yield return Case("null origin", r => r.With("Origin: null"), Forbidden);
        yield return Case("origin with a path", r => r.With($"Origin: {DirectPathDifferentialTests.AllowedOrigin}/x"), Forbidden);
        yield return Case("foreign origin in capitals", r => r.With("ORIGIN: https://evil.example"), Forbidden);

        // AllowedHosts: the host filter runs on the direct path too.
        yield return Case("foreign host", r => r.Replace("Host", "Host: evil.example"), Bad);
        yield return Case("foreign host and its own origin", r => r.Replace("Host", "Host: evil.example").With("Origin: http://evil.example"), Bad);
        yield return Case("no host", r => r.Without("Host"), Bad);
        yield return Case("two hosts", r => r.With("Host: evil.example"), Bad);
        yield return Case("second host hidden by a space", r => r.With("Host : evil.example"), Bad);
        yield return Case("empty host", r => r.Replace("Host", "Host:"), null);
        yield return Case("host with another port", r => r.Replace("Host", "Host: 127.0.0.1:1"), Ok);
        yield return Case("host localhost", r => r.Replace("Host", "Host: localhost"), Ok);
        yield return Case("host with a trailing dot", r => r.Replace("Host", "Host: 127.0.0.1."), null);
        yield return Case("IPv6 host", r => r.Replace("Host", "Host: [::1]"), Bad);
        yield return Case("host with user info", r => r.Replace("Host", "Host: a@127.0.0.1"), Bad);
        yield return Case("host with a path", r => r.Replace("Host", "Host: 127.0.0.1/x"), Bad);

        // What Kestrel's parser and request validation refuse.
        yield return Case("space before a colon", r => r.With("X-A : 1"), Bad);
        yield return Case("obs-fold", r => r.With("X-A: 1\r\n  folded"), Bad);
        yield return Case("bare CR in a value", r => r.With("X-A: a\rb"), Bad);
        yield return Case("NUL in a value", r => r.With("X-A: a\0b"), Bad);
        yield return Case("0xFF in the target", r => r.Target("/hub?x=\u00ff"), Bad);
        yield return Case("0xFF in a value", r => r.With("X-A: \u00ff"), null);
        yield return Case("UTF-8 in a value", r => r.With("X-A: " + Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("é"))), null);
        yield return Case("control character in a value", r => r.With("X-A: a\u0001b"), null);
        yield return Case("DEL in a value", r => r.With("X-A: a\u007fb"), null);
        yield return Case("header name with a bracket", r => r.With("X(A): 1"), null);
        yield return Case("empty header name", r => r.With(": 1"), Bad);
        yield return Raw("LF line ends", a => $"GET /hub HTTP/1.1\nHost: {a}\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n", null);
        yield return Raw("a bare LF in one line", a => $"GET /hub HTTP/1.1\r\nHost: {a}\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", null);
        yield return Case("tab in the request line", r => r.Line("GET\t/hub HTTP/1.1"), Bad);
        yield return Case("two spaces before the version", r => r.Line("GET /hub  HTTP/1.1"), null);
        yield return Case("HTTP/1.0", r => r.Line("GET /hub HTTP/1.0"), null);
        yield return Case("HTTP/2.0 in the request line", r => r.Line("GET /hub HTTP/2.0"), null);
        yield return Case("unknown version", r => r.Line("GET /hub HTTP/1.2"), null);
        yield return Case("lower-case method", r => r.Line("get /hub HTTP/1.1"), null);
        yield return Case("absolute-form target", r => r.Line("GET http://127.0.0.1/hub HTTP/1.1"), null);
        yield return Case("trailing slash", r => r.Target("/hub/"), null);
        yield return Case("encoded slash after the path", r => r.Target("/hub%2F"), null);
        yield return Case("encoded letter in the path", r => r.Target("/h%75b"), null);
        yield return Case("dot segment", r => r.Target("/x/../hub"), null);
        yield return Case("NUL encoded in the query", r => r.Target("/hub?user=%00"), null);
        yield return Case("brace in the query", r => r.Target("/hub?x={"), null);
        yield return Case("bad percent-encoding in the query", r => r.Target("/hub?x=%zz"), null);
        yield return Case("fragment", r => r.Target("/hub#x"), null);

        // The WebSocket handshake and the request's meaning.
        yield return Case("two keys", r => r.With("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="), null);
        yield return Case("short key", r => r.Replace("Sec-WebSocket-Key", "Sec-WebSocket-Key: abc"), null);
        yield return Case("no key", r => r.Without("Sec-WebSocket-Key"), null);
        yield return Case("version 8", r => r.Replace("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8"), null);
        yield return Case("versions 13 and 8", r => r.Replace("Sec-WebSocket-Version", "Sec-WebSocket-Version: 13, 8"), null);
        yield return Case("no Upgrade", r => r.Without("Upgrade"), null);
        yield return Case("Connection: close", r => r.Replace("Connection", "Connection: close"), null);
        yield return Case("two Connection headers", r => r.With("Connection: close"), null);
        yield return Case("subprotocol", r => r.With("Sec-WebSocket-Protocol: chat"), null);
        yield return Case("chunked body", r => r.With("Transfer-Encoding: chunked").Then("5\r\nhello\r\n0\r\n\r\n"u8.ToArray()), Bad);
        yield return Case("chunked with a space before the colon", r => r.With("Transfer-Encoding : chunked").Then("5\r\nhello\r\n0\r\n\r\n"u8.ToArray()), Bad);
        yield return Case("body of 5", r => r.With("Content-Length: 5").Then("hello"u8.ToArray()), Bad);
        yield return Case("Content-Length with a space before the colon", r => r.With("Content-Length : 5").Then("hello"u8.ToArray()), Bad);
        yield return Case("empty body", r => r.With("Content-Length: 0"), null);
        yield return Case("expectation", r => r.With("Expect: 100-continue"), null);
        yield return Case("event stream", r => r.With("Accept: text/event-stream"), null);
        yield return Case("unknown negotiate id", r => r.Target("/hub?id=never-negotiated"), 404);
        yield return Case("two negotiate ids", r => r.Target("/hub?id=a&id=b"), 404);
        yield return Case("invalid user name", r => r.Target("/hub?user=a%2Fb"), null);

        // Kestrel's limits, as configured (DirectPathDifferentialTests.Limits), not its defaults.
        var lineLimit = DirectPathDifferentialTests.MaxRequestLineSize;
        yield return Case("request line over the configured limit", r => r.Target("/hub?x=" + new string('a', lineLimit)), TooLong);
        yield return Case("request line of 12 KiB", r => r.Target("/hub?x=" + new string('a', 12 * 1024)), TooLong);
        yield return Case("request line at the limit", r => r.Target("/hub?x=" + new string('a', lineLimit - "GET /hub?x= HTTP/1.1\r\n".Length)), null);
        yield return Case("request line one over the limit", r => r.Target("/hub?x=" + new string('a', lineLimit - "GET /hub?x= HTTP/1.1\r\n".Length + 1)), null);
        yield return Case("one header over the configured count", r => r.With(Headers(DirectPathDifferentialTests.MaxRequestHeaderCount)), TooLarge);
        yield return Case("headers up to the configured count", r => r.With(Headers(DirectPathDifferentialTests.MaxRequestHeaderCount - 6)), Ok, Ok);
        yield return Case("150 headers", r => r.With(Headers(150)), TooLarge);
        yield return Case("3000 headers", r => r.With(Headers(3000)), TooLarge);
        yield return Case("headers over the configured size", r => r.With("X-Big: " + new string('b', DirectPathDifferentialTests.MaxRequestHeadersTotalSize)), TooLarge);
        yield return Case("head of 40 KiB", r => r.With("X-Big: " + new string('b', 40 * 1024)), TooLarge);
        yield return Case("head of 879 KiB", r => r.With(Enumerable.Range(0, 879).Select(i => $"X-{i}: " + new string('b', 1000)).ToArray()), null);

        // Timing and what follows the head.
        yield return Case("a frame right after the head", r => r.Then(MaskedText("{\"protocol\":\"json\",\"version\":1}\u001e")), Ok);
        yield return Case("a second request pipelined", r => r.Then(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")), Ok) with { ResetMayHideTheAnswer = true };
        yield return new HostileUpgrade("a plain request, then an upgrade", (a, t) =>
            [Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\n"), new UpgradeBytes(a, t).ToBytes()], 200, 200);
        yield return Trickle("trickled within the head timeout", 8, TimeSpan.FromMilliseconds(50), Ok);
        // Kestrel answers 408 between one and two seconds past its limit: this head is whole only after that.
        yield return Trickle("trickled past the head timeout", 4, DirectPathDifferentialTests.RequestHeadersTimeout, 408);
        yield return new HostileUpgrade("half a request line, then nothing", (_, _) => ["GET /hu"u8.ToArray()], 408, 408);
        yield return new HostileUpgrade("nothing at all", (_, _) => [], RawExchange.Closed, RawExchange.Closed);
        yield return new HostileUpgrade("a TLS client hello", (_, _) => [[0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]], null, null);
        yield return Raw("HTTP/2's preface", _ => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", null);

        // Tokens (only the Jwt node asks for one).
        yield return new HostileUpgrade("no token", (a, _) => [new UpgradeBytes(a, null).ToBytes()], Ok, Unauthorized);
        yield return new HostileUpgrade("expired token", (a, _) => [new UpgradeBytes(a, TestTokens.Create("eve", expires: DateTime.UtcNow.AddHours(-1))).ToBytes()], Ok, Unauthorized);
        yield return new HostileUpgrade("token signed by another key", (a, _) =>
            [new UpgradeBytes(a, TestTokens.Create("eve", key: Encoding.UTF8.GetBytes("a-different-key-that-is-also-long-enough!"))).ToBytes()], Ok, Unauthorized);
        yield return new HostileUpgrade("token without sub", (a, _) => [new UpgradeBytes(a, TestTokens.Create(null)).ToBytes()], Ok, Unauthorized);
        yield return new HostileUpgrade("token with an invalid sub", (a, _) => [new UpgradeBytes(a, TestTokens.Create("a/b")).ToBytes()], Ok, Unauthorized);
        yield return new HostileUpgrade("token in the query", (a, _) => [new UpgradeBytes(a, null).Target($"/hub?access_token={TestTokens.Create("quinn")}").ToBytes()], Ok, Ok);
        yield return new HostileUpgrade("two tokens in the query", (a, _) =>
            [new UpgradeBytes(a, null).Target($"/hub?access_token={TestTokens.Create("quinn")}&access_token={TestTokens.Create("mallory")}").ToBytes()], Ok, Unauthorized);
        yield return Case("a second Authorization header", r => r.With($"Authorization: Bearer {TestTokens.Create("mallory")}"), Ok, Unauthorized);
        yield return Case("a second, bad Authorization header", r => r.With("Authorization: Bearer not-a-token"), Ok, Unauthorized);
        yield return Case("Basic credentials", r => r.Replace("Authorization", "Authorization: Basic YTpi"), Ok, Unauthorized);
    }

    private static HostileUpgrade Trickle(string name, int pieces, TimeSpan gap, int expected) =>
        new(name, (authority, token) =>
        {
            var bytes = new UpgradeBytes(authority, token).ToBytes();
            var size = (bytes.Length + pieces - 1) / pieces;
            return bytes.Chunk(size).ToList();
        }, expected, expected) { Gap = gap };

    private static string[] Headers(int count) => Enumerable.Range(0, count).Select(i => $"X-{i}: {i}").ToArray();

    private static byte[] MaskedText(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        byte[] key = [1, 2, 3, 4];
        return [0x81, (byte)(0x80 | payload.Length), .. key, .. payload.Select((b, i) => (byte)(b ^ key[i % 4]))];
    }
}
