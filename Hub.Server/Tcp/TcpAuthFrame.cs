using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Hub.Server.Auth;

namespace Hub.Server.Tcp;

/// <summary>
/// In <c>Hub:Auth:Mode=Jwt</c> a TCP client has no HTTP request to carry its token, so its first
/// frame does: <c>{"access_token":"…"}</c> followed by the record separator 0x1E, before the
/// SignalR handshake. The token is checked exactly as the hub's bearer scheme checks it.
/// </summary>
internal sealed class TcpAuthFrame(HubTokenValidator validator)
{
    /// <summary>Larger than any sane token; a client sending more is refused.</summary>
    public const int MaxFrameBytes = 16 * 1024;

    private const byte Separator = 0x1e;

    /// <summary>Reads and checks the frame; returns the user and the token's expiry, or throws with the reason the client is told.</summary>
    public async Task<TokenCheck> AuthenticateAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var frame = await ReadFrameAsync(input, cancellationToken);
        string? token;
        try
        {
            using var json = JsonDocument.Parse(frame);
            token = json.RootElement.ValueKind == JsonValueKind.Object &&
                json.RootElement.TryGetProperty("access_token", out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : null;
        }
        catch (JsonException)
        {
            token = null;
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new TcpRefusedException("The first frame must be {\"access_token\":\"<JWT>\"} followed by 0x1E (Hub:Auth:Mode=Jwt).");
        }

        var check = await validator.ValidateAsync(token);
        return check.User is null ? throw new TcpRefusedException(check.Error!) : check;
    }

    private static async Task<byte[]> ReadFrameAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (buffer.PositionOf(Separator) is { } end)
            {
                var frame = buffer.Slice(0, end).ToArray();
                input.AdvanceTo(buffer.GetPosition(1, end));
                return frame;
            }

            if (buffer.Length > MaxFrameBytes || read.IsCompleted)
            {
                throw new TcpRefusedException(read.IsCompleted
                    ? "The connection closed before its first frame ended."
                    : $"The first frame is longer than {MaxFrameBytes} bytes without a 0x1E separator.");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Answers in place of the greeting, in the shape of a SignalR handshake error, so the client
    /// learns why, and when the node's admission refused it, the seconds to wait before it tries again.
    /// </summary>
    public static Task RefuseAsync(PipeWriter output, string reason, int? retryAfterSeconds = null) => retryAfterSeconds is { } seconds
        ? WriteFrameAsync(output, new { error = reason, retryAfter = seconds })
        : WriteFrameAsync(output, new { error = reason });

    /// <summary>One JSON frame, ended by the record separator.</summary>
    public static async Task WriteFrameAsync(PipeWriter output, object frame) =>
        await output.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(frame) + "\u001e"));
}
