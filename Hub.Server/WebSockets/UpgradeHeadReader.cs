using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http;
using Microsoft.Net.Http.Headers;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using HttpMethod = Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpMethod;

namespace Hub.Server.WebSockets;

/// <summary>
/// Reads the head of a connection's first request for the direct path, with Kestrel's own
/// HTTP/1.1 parser and inside Kestrel's configured limits, and takes only the narrowest form of a
/// WebSocket upgrade of the hub's path: <c>GET</c>, HTTP/1.1, CRLF line ends, printable ASCII only,
/// the path exactly (no encoding), a query of URI characters, header names that are tokens, and
/// exactly one <c>Host</c>, <c>Upgrade: websocket</c>, <c>Connection</c> (with <c>upgrade</c>),
/// <c>Sec-WebSocket-Version: 13</c>, <c>Sec-WebSocket-Key</c>, and at most one <c>Origin</c> and
/// <c>Authorization</c>; no body, subprotocol, expectation, event-stream or proxy-named host.
/// Anything else —
/// unusual, oversized or malformed — is not served here and goes to HTTP untouched, which
/// answers it as it always would: the direct path is never the more lenient of the two.
/// </summary>
internal sealed class UpgradeHeadReader : IHttpRequestLineHandler, IHttpHeadersHandler
{
    private static readonly HttpParser<UpgradeHeadReader> Parser = new(showErrorDetails: false);

    private readonly string _path;
    private readonly long _requestLineLength;
    private readonly HeaderDictionary _headers = new();
    private string? _target;
    private int _pathLength;
    private bool _refused;

    private UpgradeHeadReader(string path, long requestLineLength)
    {
        _path = path;
        _requestLineLength = requestLineLength;
    }

    /// <summary>
    /// What <paramref name="buffer"/> (a connection's first bytes) holds: a whole head this path
    /// serves (<paramref name="request"/>, ending before <paramref name="end"/>), too little yet to
    /// tell, or a request for HTTP. It knows the last as soon as a byte shows it.
    /// </summary>
    public static HeadStatus Read(ReadOnlySequence<byte> buffer, string path, KestrelServerLimits limits, out UpgradeRequest? request, out SequencePosition end)
    {
        request = null;
        end = default;
        var scan = Scan(buffer, path, limits);
        if (scan.Status != HeadStatus.Upgrade)
        {
            return scan.Status;
        }

        var head = buffer.Slice(0, scan.Length);
        var reader = new SequenceReader<byte>(head);
        var handler = new UpgradeHeadReader(path, scan.RequestLine);
        try
        {
            if (!Parser.ParseRequestLine(handler, ref reader) || !Parser.ParseHeaders(handler, ref reader) || !reader.End)
            {
                return HeadStatus.NotServed;
            }
        }
        catch (BadHttpRequestException)
        {
            return HeadStatus.NotServed;
        }

        request = handler.ToRequest();
        end = head.End;
        return request is null ? HeadStatus.NotServed : HeadStatus.Upgrade;
    }

    void IHttpRequestLineHandler.OnStartLine(HttpVersionAndMethod versionAndMethod, TargetOffsetPathLength targetPath, Span<byte> startLine)
    {
        var target = startLine[targetPath.Offset..];
        // The line is up to the target's end here: one space and the version follow, no more
        // (Kestrel lets a run of spaces pass there).
        _refused |= versionAndMethod.Method != HttpMethod.Get || versionAndMethod.Version != HttpVersion.Http11 ||
            startLine.Length + " HTTP/1.1\r\n".Length != _requestLineLength ||
            targetPath.IsEncoded || targetPath.Length != _path.Length || !IsUriText(target);
        _target = Encoding.ASCII.GetString(target);
        _pathLength = targetPath.Length;
    }

    void IHttpHeadersHandler.OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (name.IndexOfAnyExcept(TokenBytes) >= 0)
        {
            _refused = true;
            return;
        }

        _headers.Append(Encoding.ASCII.GetString(name), Encoding.ASCII.GetString(value));
    }

    void IHttpHeadersHandler.OnHeadersComplete(bool endStream)
    {
    }

    // Only HTTP/2 and HTTP/3 index their headers.
    void IHttpHeadersHandler.OnStaticIndexedHeader(int index) => _refused = true;

    void IHttpHeadersHandler.OnStaticIndexedHeader(int index, ReadOnlySpan<byte> value) => _refused = true;

    // The raw bytes of a head: decided as soon as a byte shows it is not one this path serves,
    // and never read past Kestrel's limits (HTTP then answers 414 or 431 itself).
    private static (HeadStatus Status, long Length, long RequestLine) Scan(ReadOnlySequence<byte> buffer, string path, KestrelServerLimits limits)
    {
        var prefix = $"GET {path}";
        // Stricter than Kestrel by a byte at each limit, so no request at a limit's edge is taken
        // that Kestrel would refuse: the request line with its CRLF below MaxRequestLineSize,
        // the header lines with the blank line at most MaxRequestHeadersTotalSize.
        long position = 0, lineStart = 0, requestLineEnd = -1;
        var lines = 0;
        var previous = (byte)0;
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (position < prefix.Length
                    ? char.ToUpperInvariant((char)b) != char.ToUpperInvariant(prefix[(int)position]) || (position < 4 && b != prefix[(int)position])
                    : position == prefix.Length && b is not ((byte)'?' or (byte)' '))
                {
                    return (HeadStatus.NotServed, 0, 0);
                }

                if (previous == '\r' ? b != '\n' : b == '\n' || (b < 0x20 && b is not ((byte)'\t' or (byte)'\r')) || b >= 0x7F)
                {
                    return (HeadStatus.NotServed, 0, 0);
                }

                position++;
                previous = b;
                if (b == '\n')
                {
                    if (requestLineEnd < 0)
                    {
                        requestLineEnd = position;
                    }
                    else if (position - lineStart == 2)
                    {
                        return (HeadStatus.Upgrade, position, requestLineEnd);
                    }
                    else if (++lines > limits.MaxRequestHeaderCount)
                    {
                        return (HeadStatus.NotServed, 0, 0);
                    }

                    lineStart = position;
                }

                if (requestLineEnd < 0 ? position >= limits.MaxRequestLineSize - 1 : position - requestLineEnd >= limits.MaxRequestHeadersTotalSize)
                {
                    return (HeadStatus.NotServed, 0, 0);
                }
            }
        }

        return (HeadStatus.Incomplete, 0, 0);
    }

    private UpgradeRequest? ToRequest()
    {
        if (_refused || _target is null ||
            !string.Equals(_target[.._pathLength], _path, StringComparison.OrdinalIgnoreCase) ||
            (_target.Length > _pathLength && _target[_pathLength] != '?'))
        {
            return null;
        }

        IHeaderDictionary h = _headers;
        var upgrade = One(h, HeaderNames.Upgrade);
        var connection = One(h, HeaderNames.Connection);
        var key = One(h, HeaderNames.SecWebSocketKey);
        var servable =
            One(h, HeaderNames.Host) is { } host && IsHost(host) &&
            string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase) &&
            connection is not null && connection.Split(',').Any(t => string.Equals(t.Trim(' ', '\t'), "upgrade", StringComparison.OrdinalIgnoreCase)) &&
            One(h, HeaderNames.SecWebSocketVersion) == "13" &&
            key is { Length: 24 } && Convert.TryFromBase64String(key, stackalloc byte[18], out var keyLength) && keyLength == 16 &&
            h.Origin.Count <= 1 && h.Authorization.Count <= 1 &&
            // What makes HTTP answer otherwise: a body, a subprotocol, an expectation, Server-Sent Events.
            !h.ContainsKey(HeaderNames.ContentLength) && !h.ContainsKey(HeaderNames.TransferEncoding) &&
            !h.ContainsKey(HeaderNames.SecWebSocketProtocol) && !h.ContainsKey(HeaderNames.Expect) &&
            !h.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) &&
            // A host named by a proxy, which a node with the forwarded-headers middleware on
            // (ASPNETCORE_FORWARDEDHEADERS_ENABLED) would filter and compare origins against.
            !h.ContainsKey("X-Forwarded-Host") && !h.ContainsKey("Forwarded");
        return servable
            ? new UpgradeRequest { Path = _target[.._pathLength], QueryString = _target[_pathLength..], Headers = h }
            : null;
    }

    private static string? One(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;

    // A host name or IPv4 address, or an IPv6 literal, and a port: a subset of what Kestrel allows.
    private static bool IsHost(string host)
    {
        var colon = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
        var name = colon > 0 ? host[..colon] : host;
        var port = colon > 0 ? host[(colon + 1)..] : null;
        var nameValid = name.StartsWith('[')
            ? name.Length > 2 && name[^1] == ']' && name.AsSpan(1, name.Length - 2).IndexOfAnyExcept("0123456789abcdefABCDEF:.") < 0
            : name.Length > 0 && name.AsSpan().IndexOfAnyExcept("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.") < 0;
        return nameValid && (port is null || (port.Length is > 0 and <= 5 && port.AsSpan().IndexOfAnyExcept("0123456789") < 0 && int.Parse(port) <= 65535));
    }

    // RFC 3986's characters of a path and query, percent-encodings whole.
    private static bool IsUriText(ReadOnlySpan<byte> target)
    {
        if (target.IndexOfAnyExcept(UriBytes) >= 0)
        {
            return false;
        }

        for (var i = target.IndexOf((byte)'%'); i >= 0; i = target.IndexOf((byte)'%'))
        {
            if (i + 2 >= target.Length || !char.IsAsciiHexDigit((char)target[i + 1]) || !char.IsAsciiHexDigit((char)target[i + 2]))
            {
                return false;
            }

            target = target[(i + 3)..];
        }

        return true;
    }

    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"u8);

    private static readonly SearchValues<byte> UriBytes =
        SearchValues.Create("-._~!$&'()*+,;=:@/?%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"u8);
}
