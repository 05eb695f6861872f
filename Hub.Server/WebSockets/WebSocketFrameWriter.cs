using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Hub.Server.WebSockets;

/// <summary>
/// What SignalR writes to a direct WebSocket: each flush becomes one frame (text or binary, as
/// the hub protocol agreed), written straight into Kestrel's socket output, with no pipe and no
/// send loop of its own between them. The hub's writes and the connection's own control frames
/// (pong, close) take turns on one lock; SignalR already writes one message at a time.
/// </summary>
internal sealed class WebSocketFrameWriter(PipeWriter transport, WebSocketConnection connection) : PipeWriter
{
    private static readonly FlushResult Closed = new(isCanceled: false, isCompleted: true);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[] _buffer = [];
    private int _length;
    private bool _closeSent;
    private volatile bool _dataEnded;

    public override void Advance(int bytes) => _length += bytes;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_length);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_length == 0)
        {
            return new(new FlushResult(isCanceled: false, isCompleted: _closeSent));
        }

        return SendAsync(connection.DataOpcode, _buffer.AsMemory(0, _length), fromBuffer: true, cancellationToken);
    }

    // SignalR hands over a message serialized once for all its receivers: framed straight from it.
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        _length == 0 ? SendAsync(connection.DataOpcode, source, fromBuffer: false, cancellationToken) : base.WriteAsync(source, cancellationToken);

    public override void CancelPendingFlush() => transport.CancelPendingFlush();

    // The connection sends the close frame and completes the socket when the hub is done with it;
    // a buffer left unflushed here is only garbage.
    public override void Complete(Exception? exception = null)
    {
    }

    /// <summary>Drops every later data frame; control frames (the close above all) still go out.</summary>
    public void EndData() => _dataEnded = true;

    public ValueTask<FlushResult> PongAsync(ReadOnlyMemory<byte> payload) => SendAsync(WebSocketFrames.Pong, payload, fromBuffer: false, default);

    /// <summary>Sends the close frame once; later writes are dropped, as the client will read no more.</summary>
    public async Task CloseAsync(ushort code, string reason)
    {
        await _lock.WaitAsync();
        try
        {
            if (_closeSent)
            {
                return;
            }

            _closeSent = true;
            WebSocketFrames.Write(transport, WebSocketFrames.Close, WebSocketFrames.ClosePayload(code, reason));
            await transport.FlushAsync();
        }
        finally
        {
            _lock.Release();
        }
    }

    // fromBuffer: the payload is this writer's own buffer, given back to the pool once copied, so
    // that an idle connection holds no buffer at all.
    private ValueTask<FlushResult> SendAsync(byte opcode, ReadOnlyMemory<byte> payload, bool fromBuffer, CancellationToken cancellationToken)
    {
        if (!_lock.Wait(0))
        {
            return SendSlowAsync(opcode, payload, fromBuffer, cancellationToken);
        }

        var flush = WriteLocked(opcode, payload.Span, fromBuffer, cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            _lock.Release();
            return flush;
        }

        return AwaitAndReleaseAsync(flush);
    }

    private async ValueTask<FlushResult> SendSlowAsync(byte opcode, ReadOnlyMemory<byte> payload, bool fromBuffer, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        return await AwaitAndReleaseAsync(WriteLocked(opcode, payload.Span, fromBuffer, cancellationToken));
    }

    private async ValueTask<FlushResult> AwaitAndReleaseAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            return await flush;
        }
        finally
        {
            _lock.Release();
        }
    }

    private ValueTask<FlushResult> WriteLocked(byte opcode, ReadOnlySpan<byte> payload, bool fromBuffer, CancellationToken cancellationToken)
    {
        try
        {
            if (_closeSent || (_dataEnded && opcode is WebSocketFrames.Text or WebSocketFrames.Binary))
            {
                return new(Closed);
            }

            WebSocketFrames.Write(transport, opcode, payload);
            return transport.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ConnectionAbortedException)
        {
            // The socket's output is already completed: the connection is going away.
            return new(Closed);
        }
        finally
        {
            if (fromBuffer)
            {
                ReleaseBuffer();
            }
        }
    }

    private void ReleaseBuffer()
    {
        _length = 0;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 256);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
