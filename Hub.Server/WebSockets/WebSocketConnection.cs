using System.Buffers;
using System.IO.Pipelines;
using Hub.Server.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Hub.Server.WebSockets;

/// <summary>
/// A direct WebSocket as SignalR's connection handler sees it: the transport a hub connection
/// reads and writes. Frames from the client are unmasked into a pipe the hub reads (control
/// frames answered here); what the hub writes goes out through <see cref="WebSocketFrameWriter"/>.
/// </summary>
internal sealed class WebSocketConnection : IDuplexPipe, ITransferFormatFeature, IConnectionEndFeature
{
    /// <summary>How long a closing connection waits for the client's close frame before it aborts the socket.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    // No pause: SignalR reads whole messages and bounds them itself (MaximumReceiveMessageSize).
    private static readonly PipeOptions ReceivedOptions = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly IDuplexPipe _transport;
    private readonly Pipe _received;
    private readonly WebSocketFrameWriter _writer;
    private Task _receiving = Task.CompletedTask;

    // The frame being read: payload bytes still to come, the key and where in it the next byte is.
    private long _remaining;
    private uint _mask;
    private int _maskOffset;
    private bool _inMessage;
    private bool _discard;
    private bool _expired;

    public WebSocketConnection(IDuplexPipe transport)
    {
        _transport = transport;
        _received = new Pipe(ReceivedOptions);
        _writer = new WebSocketFrameWriter(transport.Output, this);
    }

    public PipeReader Input => _received.Reader;

    public PipeWriter Output => _writer;

    public TransferFormat SupportedFormats { get; } = TransferFormat.Text | TransferFormat.Binary;

    public TransferFormat ActiveFormat { get; set; } = TransferFormat.Text;

    /// <summary>Text frames for JSON, binary for MessagePack, as the handshake set <see cref="ActiveFormat"/>.</summary>
    public byte DataOpcode => ActiveFormat == TransferFormat.Binary ? WebSocketFrames.Binary : WebSocketFrames.Text;

    /// <summary>Why the client closed, or what it broke; null while it has not.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>When the client's token expires; <see cref="DateTime.MaxValue"/> without one.</summary>
    public DateTime ExpiresUtc { get; set; } = DateTime.MaxValue;

    public void StartReceiving() => _receiving = ReceiveAsync();

    /// <summary>Once the token has expired, ends the connection: the client sees it close and reconnects with a fresh one.</summary>
    public void EndIfExpired()
    {
        if (!_expired && DateTime.UtcNow >= ExpiresUtc)
        {
            _expired = true;
            CloseReason = "The client's token expired.";
            End();
        }
    }

    /// <summary>
    /// Ends the hub's side as a client's close would: its reading stops, and what it writes from
    /// now on is dropped; the close frame follows once the hub is done.
    /// </summary>
    public void End()
    {
        _writer.EndData();
        _received.Reader.CancelPendingRead();
    }

    /// <summary>
    /// After the hub is done: the close frame (unless the client's came first and was answered),
    /// then a bounded wait for the client's; a client that takes longer, or reads nothing, has its
    /// socket aborted.
    /// </summary>
    public async Task CloseAsync(Exception? error, ConnectionContext socket)
    {
        _received.Reader.Complete();
        var closing = CloseHandshakeAsync(error);
        try
        {
            await closing.WaitAsync(CloseTimeout);
        }
        catch (TimeoutException)
        {
            socket.Abort(new ConnectionAbortedException("The client did not complete the WebSocket close in time."));
        }

        _transport.Input.CancelPendingRead();
        await closing;
    }

    private async Task CloseHandshakeAsync(Exception? error)
    {
        try
        {
            await _writer.CloseAsync(error is null ? WebSocketFrames.NormalClosure : WebSocketFrames.InternalError, error is null ? "" : "Server error.");
        }
        catch (Exception ex) when (IsGone(ex))
        {
            // The socket is gone already: nothing more to say to the client.
        }

        await _receiving;
    }

    private async Task ReceiveAsync()
    {
        var input = _transport.Input;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                bool received, closed;
                try
                {
                    (consumed, received, closed) = await ProcessAsync(buffer);
                }
                finally
                {
                    input.AdvanceTo(consumed, buffer.End);
                }

                if (received && !_discard && (await _received.Writer.FlushAsync()).IsCompleted)
                {
                    // The hub reads no more; the rest is read only to find the client's close frame.
                    _discard = true;
                }

                if (closed || result.IsCanceled || result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (WebSocketFrameException ex)
        {
            CloseReason = ex.Message;
            error = ex;
            await SendProtocolErrorAsync(ex.Message);
        }
        catch (Exception ex) when (IsGone(ex))
        {
            error = ex;
        }

        await _received.Writer.CompleteAsync(error);
    }

    private async Task SendProtocolErrorAsync(string reason)
    {
        try
        {
            await _writer.CloseAsync(WebSocketFrames.ProtocolError, reason);
        }
        catch (Exception ex) when (IsGone(ex))
        {
            // The client is gone as well.
        }
    }

    private static bool IsGone(Exception ex) => ex is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException;

    // Everything whole in the buffer: data unmasked into the hub's pipe, control frames answered.
    // Returns where it stopped (a partial header or control frame is left for the next read).
    private async ValueTask<(SequencePosition Consumed, bool Received, bool Closed)> ProcessAsync(ReadOnlySequence<byte> buffer)
    {
        var received = false;
        while (!buffer.IsEmpty)
        {
            if (_remaining > 0)
            {
                var take = Math.Min(_remaining, buffer.Length);
                CopyPayload(buffer.Slice(0, take));
                _remaining -= take;
                buffer = buffer.Slice(take);
                received = true;
                continue;
            }

            if (!WebSocketFrames.TryReadHeader(buffer, out var header) ||
                (header.IsControl && buffer.Length < header.Length + header.PayloadLength))
            {
                break;
            }

            if (header.IsControl)
            {
                var payload = buffer.Slice(header.Length, header.PayloadLength).ToArray();
                WebSocketFrames.Unmask(payload, payload, header.Mask, 0);
                buffer = buffer.Slice(header.Length + payload.Length);
                if (await AnswerControlAsync(header.Opcode, payload))
                {
                    return (buffer.Start, received, true);
                }

                continue;
            }

            if ((header.Opcode == WebSocketFrames.Continuation) != _inMessage)
            {
                throw new WebSocketFrameException(_inMessage
                    ? "A new message began before the last one's final frame."
                    : "A continuation frame came with no message to continue.");
            }

            _inMessage = !header.Fin;
            _remaining = header.PayloadLength;
            _mask = header.Mask;
            _maskOffset = 0;
            buffer = buffer.Slice(header.Length);
        }

        return (buffer.Start, received, false);
    }

    private void CopyPayload(ReadOnlySequence<byte> payload)
    {
        if (_discard)
        {
            return;
        }

        var writer = _received.Writer;
        foreach (var segment in payload)
        {
            var source = segment.Span;
            while (!source.IsEmpty)
            {
                var destination = writer.GetSpan();
                var count = Math.Min(source.Length, destination.Length);
                WebSocketFrames.Unmask(source[..count], destination, _mask, _maskOffset);
                writer.Advance(count);
                _maskOffset = (_maskOffset + count) & 3;
                source = source[count..];
            }
        }
    }

    // True when the client closed: its close frame is answered with its own status code.
    private async ValueTask<bool> AnswerControlAsync(byte opcode, byte[] payload)
    {
        switch (opcode)
        {
            case WebSocketFrames.Ping:
                await _writer.PongAsync(payload);
                return false;
            case WebSocketFrames.Close:
                var code = payload.Length >= 2 ? (ushort)((payload[0] << 8) | payload[1]) : WebSocketFrames.NormalClosure;
                CloseReason = $"The client closed the WebSocket ({code}).";
                await _writer.CloseAsync(code, "");
                return true;
            default:
                return false;
        }
    }
}
