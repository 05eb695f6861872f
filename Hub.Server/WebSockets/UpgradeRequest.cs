using System.Security.Cryptography;
using System.Text;

namespace Hub.Server.WebSockets;

/// <summary>
/// A WebSocket upgrade of the hub's path that the direct path may serve: read by
/// <see cref="UpgradeHeadReader"/> with Kestrel's own parser, in the narrowest form (see there).
/// </summary>
internal sealed class UpgradeRequest
{
    /// <summary>The path as sent (the hub's path, in any case).</summary>
    public required string Path { get; init; }

    /// <summary>The query string with its leading <c>?</c>, or empty.</summary>
    public required string QueryString { get; init; }

    /// <summary>Every header, each name with all its values, as HTTP's request would hold them.</summary>
    public required IHeaderDictionary Headers { get; init; }

    /// <summary>The value of <c>Sec-WebSocket-Accept</c> that answers the client's key (RFC 6455 §4.2.2).</summary>
    public string AcceptKey()
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(Headers.SecWebSocketKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), hash);
        return Convert.ToBase64String(hash);
    }
}
