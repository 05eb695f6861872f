using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Hub.Server.WebSockets;

/// <summary>
/// The head of an HTTP/1.1 request that asks to open a WebSocket on the hub's path: just what
/// the direct path needs to decide, read before Kestrel's HTTP layer sees the bytes. Anything it
/// does not recognise is left to HTTP, which answers it as it always would.
/// </summary>
internal sealed class UpgradeRequest
{
    /// <summary>Larger than any sane upgrade (a token in the query included); a longer head goes to HTTP.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    public required string Query { get; init; }

    public string? Host { get; private set; }

    public string? Origin { get; private set; }

    public string? Authorization { get; private set; }

    public string? Key { get; private set; }

    private string? _upgrade;
    private string? _connection;
    private string? _version;
    private bool _other;

    /// <summary>
    /// Whether <paramref name="buffer"/> can still start an upgrade of <paramref name="path"/>:
    /// false as soon as its first bytes show another request (or not HTTP at all).
    /// </summary>
    public static bool CanBe(ReadOnlySequence<byte> buffer, string path)
    {
        Span<byte> start = stackalloc byte[64];
        var prefix = $"GET {path}";
        var length = (int)Math.Min(buffer.Length, prefix.Length + 1);
        buffer.Slice(0, length).CopyTo(start);
        for (var i = 0; i < length; i++)
        {
            var expected = i < prefix.Length ? prefix[i] : '\0';
            var actual = (char)start[i];
            if (i == prefix.Length ? actual is not ('?' or ' ') : char.ToUpperInvariant(actual) != char.ToUpperInvariant(expected))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the head if it is complete: <paramref name="end"/> is the first byte after it. A head
    /// that is complete but not an upgrade this path can serve comes back as null with true.
    /// </summary>
    public static bool TryRead(ReadOnlySequence<byte> buffer, string path, out UpgradeRequest? request, out SequencePosition end)
    {
        request = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd))
        {
            end = default;
            return false;
        }

        end = reader.Position;
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine is not ["GET", var target, "HTTP/1.1"])
        {
            return true;
        }

        var query = target.IndexOf('?');
        if (!string.Equals(query < 0 ? target : target[..query], path, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var parsed = new UpgradeRequest { Query = query < 0 ? "" : target[query..] };
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                return true;
            }

            parsed.Add(line[..colon], line[(colon + 1)..].Trim());
        }

        request = parsed.IsWebSocketUpgrade ? parsed : null;
        return true;
    }

    /// <summary>The value of <c>Sec-WebSocket-Accept</c> that answers <see cref="Key"/> (RFC 6455 §4.2.2).</summary>
    public string AcceptKey()
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(Key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), hash);
        return Convert.ToBase64String(hash);
    }

    // Only a plain upgrade: no subprotocol or body, which SignalR's clients never send and HTTP's
    // path answers with its own rules; extensions (compression) are simply not taken up.
    private bool IsWebSocketUpgrade =>
        !_other &&
        HasToken(_upgrade, "websocket") &&
        HasToken(_connection, "upgrade") &&
        _version == "13" &&
        Host is not null &&
        Key is not null && Convert.TryFromBase64String(Key, stackalloc byte[24], out var keyLength) && keyLength == 16;

    private void Add(string name, string value)
    {
        switch (name.ToLowerInvariant())
        {
            // Two Host headers make a request HTTP refuses (400): it answers that one itself.
            case "host": (_other, Host) = (_other || Host is not null, Host ?? value); break;
            case "origin": Origin = value; break;
            case "authorization": Authorization = value; break;
            case "upgrade": _upgrade = Join(_upgrade, value); break;
            case "connection": _connection = Join(_connection, value); break;
            case "sec-websocket-key": Key = value; break;
            case "sec-websocket-version": _version = value; break;
            case "sec-websocket-protocol" or "content-length" or "transfer-encoding": _other = true; break;
        }
    }

    private static string Join(string? list, string value) => list is null ? value : $"{list},{value}";

    private static bool HasToken(string? list, string token) =>
        list is not null && list.Split(',').Any(t => string.Equals(t.Trim(), token, StringComparison.OrdinalIgnoreCase));
}
