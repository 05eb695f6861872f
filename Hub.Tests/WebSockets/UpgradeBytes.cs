using System.Text;

namespace Hub.Tests.WebSockets;

/// <summary>
/// A WebSocket upgrade of <c>/hub</c> as a well-behaved client writes it, changed line by line into
/// what an attacker would send: the request line and every header are plain text, nothing is
/// checked or fixed here.
/// </summary>
public sealed class UpgradeBytes
{
    private readonly List<string> _headers;

    public UpgradeBytes(string authority, string? token)
    {
        Authority = authority;
        _headers =
        [
            $"Host: {authority}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ];
        if (token is not null)
        {
            _headers.Add($"Authorization: Bearer {token}");
        }
    }

    /// <summary>The node's host and port, as the valid request's Host header names it.</summary>
    public string Authority { get; }

    public string RequestLine { get; set; } = "GET /hub HTTP/1.1";

    /// <summary>Bytes after the head, in the same write (frames, a pipelined request, a body).</summary>
    public byte[] After { get; set; } = [];

    public UpgradeBytes Line(string requestLine)
    {
        RequestLine = requestLine;
        return this;
    }

    public UpgradeBytes Target(string target) => Line($"GET {target} HTTP/1.1");

    /// <summary>Adds header lines as written (several, or a folded one, may be given with their CRLFs).</summary>
    public UpgradeBytes With(params string[] lines)
    {
        _headers.AddRange(lines);
        return this;
    }

    /// <summary>Removes every header line that starts with <paramref name="name"/> and a colon.</summary>
    public UpgradeBytes Without(string name)
    {
        _headers.RemoveAll(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
        return this;
    }

    /// <summary>Replaces the header <paramref name="name"/> with <paramref name="line"/>.</summary>
    public UpgradeBytes Replace(string name, string line) => Without(name).With(line);

    public UpgradeBytes Then(byte[] after)
    {
        After = after;
        return this;
    }

    /// <summary>The head in Latin-1, so a test can place any byte value in it.</summary>
    public byte[] ToBytes() =>
        [.. Encoding.Latin1.GetBytes(RequestLine + "\r\n" + string.Concat(_headers.Select(h => h + "\r\n")) + "\r\n"), .. After];
}
