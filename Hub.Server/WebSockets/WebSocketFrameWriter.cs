using System.IO.Pipelines;
using Hub.Server.Coalescing;

namespace Hub.Server.WebSockets;

/// <summary>
/// What SignalR writes to a direct WebSocket: each message becomes one frame (text or binary, as
/// the hub protocol agreed), written straight into Kestrel's socket output, with no pipe and no
/// send loop of its own between them; frames waiting for one connection in a run of the bus loop
/// leave in one socket write (<see cref="CoalescingWriter"/>). The hub's writes and the
/// connection's own control frames (pong, close) take turns on one lock.
/// </summary>
internal sealed class WebSocketFrameWriter(PipeWriter transport, WebSocketConnection connection) : CoalescingWriter(transport)
{
    private bool _closeSent;
    private volatile bool _dataEnded;

    protected override bool IsClosed => _closeSent;

    // The connection sends the close frame and completes the socket when the hub is done with it;
    // a buffer left unflushed here is only garbage.
    public override void Complete(Exception? exception = null)
    {
    }

    /// <summary>Drops every later data frame; control frames (the close above all) still go out.</summary>
    public void EndData() => _dataEnded = true;

    public ValueTask<FlushResult> PongAsync(ReadOnlyMemory<byte> payload) => SendAsync(WebSocketFrames.Pong, payload, fromBuffer: false, default);

    /// <summary>Sends the close frame once; later writes are dropped, as the client will read no more.</summary>
    public Task CloseAsync(ushort code, string reason) => UnderLockAsync(async () =>
    {
        if (_closeSent)
        {
            return;
        }

        _closeSent = true;
        WebSocketFrames.Write(Transport, WebSocketFrames.Close, WebSocketFrames.ClosePayload(code, reason));
        await Transport.FlushAsync();
    });

    protected override bool Encode(byte kind, ReadOnlySpan<byte> payload)
    {
        if (_closeSent || (_dataEnded && kind == Data))
        {
            return false;
        }

        WebSocketFrames.Write(Transport, kind == Data ? connection.DataOpcode : kind, payload);
        return true;
    }
}
