using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Hub.Server.WebSockets;

/// <summary>
/// A direct WebSocket as SignalR's connection handler sees it: the transport a hub connection
/// reads (<see cref="WebSocketFrameReader"/>) and writes (<see cref="WebSocketFrameWriter"/>),
/// the transfer format it agreed, and how the connection ends.
/// </summary>
internal sealed class WebSocketConnection : IDuplexPipe, ITransferFormatFeature
{
    /// <summary>How long a closing connection waits for the client's close frame before it aborts the socket.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocketFrameReader _reader;
    private readonly WebSocketFrameWriter _writer;
    private bool _expired;

    public WebSocketConnection(IDuplexPipe transport)
    {
        _writer = new WebSocketFrameWriter(transport.Output, this);
        _reader = new WebSocketFrameReader(transport.Input, _writer);
    }

    public PipeReader Input => _reader;

    public PipeWriter Output => _writer;

    public TransferFormat SupportedFormats => TransferFormat.Text | TransferFormat.Binary;

    public TransferFormat ActiveFormat { get; set; } = TransferFormat.Text;

    /// <summary>Text frames for JSON, binary for MessagePack, as the handshake set <see cref="ActiveFormat"/>.</summary>
    public byte DataOpcode => ActiveFormat == TransferFormat.Binary ? WebSocketFrames.Binary : WebSocketFrames.Text;

    /// <summary>Why the client closed, or what it broke; null while it has not.</summary>
    public string? CloseReason => _reader.CloseReason;

    /// <summary>When the client's token expires; <see cref="DateTime.MaxValue"/> without one.</summary>
    public DateTime ExpiresUtc { get; set; } = DateTime.MaxValue;

    /// <summary>Once the token has expired, ends the connection: the client sees it close and reconnects with a fresh one.</summary>
    public void EndIfExpired()
    {
        if (!_expired && DateTime.UtcNow >= ExpiresUtc)
        {
            _expired = true;
            _reader.CloseReason = "The client's token expired.";
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
        _reader.CancelPendingRead();
    }

    /// <summary>
    /// After the hub is done: the close frame (unless the client's came first and was answered),
    /// then a bounded wait for the client's; a client that takes longer, or reads nothing, has its
    /// socket aborted.
    /// </summary>
    public async Task CloseAsync(Exception? error, ConnectionContext socket)
    {
        var closing = CloseHandshakeAsync(error);
        try
        {
            await closing.WaitAsync(CloseTimeout);
        }
        catch (TimeoutException)
        {
            socket.Abort(new ConnectionAbortedException("The client did not complete the WebSocket close in time."));
        }

        _reader.CancelPendingRead();
        await closing;
    }

    private async Task CloseHandshakeAsync(Exception? error)
    {
        try
        {
            await _writer.CloseAsync(error is null ? WebSocketFrames.NormalClosure : WebSocketFrames.InternalError, error is null ? "" : "Server error.");
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            // The socket is gone already: nothing more to say to the client.
        }

        await _reader.ReadUntilClosedAsync();
    }
}
