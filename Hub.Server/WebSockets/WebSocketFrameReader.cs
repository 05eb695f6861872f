using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Hub.Server.WebSockets;

/// <summary>
/// What SignalR reads from a direct WebSocket: the payload of the client's data frames, decoded
/// (<see cref="ClientFrameDecoder"/>) and unmasked (<see cref="UnmaskedPayload"/>) as it is read
/// from Kestrel's socket input, on the reading thread itself (no pipe and no loop of its own in
/// between); control frames are answered on the way (ping with pong, close with close). An idle
/// connection holds no buffer and no pending async method.
/// </summary>
internal sealed class WebSocketFrameReader(PipeReader transport, WebSocketFrameWriter writer) : PipeReader, IValueTaskSource<ReadResult>
{
    private ManualResetValueTaskSourceCore<ReadResult> _waiting;
    private ValueTask<ReadResult> _transportRead;
    private CancellationToken _token;
    private Action? _onTransportRead;

    private ClientFrameDecoder _decoder;
    private UnmaskedPayload _payload;
    private bool _ended;
    private int _cancelled;

    /// <summary>Why the client closed, or what it broke; null while it has not.</summary>
    public string? CloseReason { get; set; }

    // An idle connection's read waits on Kestrel's input with no async method pending: the
    // wait is this reader's own (_waiting, completed from OnTransportRead), so it holds no state
    // machine box per connection. Only a read that must write (a pong, a close) goes async.
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<ReadResult> read = default;
        switch (Pump(ref read, haveRead: false, cancellationToken, out var ready, out var writing))
        {
            case Step.Ready:
                return new ValueTask<ReadResult>(ready);
            case Step.Waiting:
                _waiting.Reset();
                var version = _waiting.Version;
                (_transportRead, _token) = (read, cancellationToken);
                read.GetAwaiter().UnsafeOnCompleted(_onTransportRead ??= OnTransportRead);
                return new ValueTask<ReadResult>(this, version);
            default:
                return ReadAfterAsync(writing, cancellationToken);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (Interlocked.Exchange(ref _cancelled, 0) == 1)
        {
            result = new ReadResult(_payload.Buffered, isCanceled: true, isCompleted: false);
            return true;
        }

        if (_payload.HasNew || _ended)
        {
            result = new ReadResult(_payload.Buffered, isCanceled: false, isCompleted: _ended);
            return true;
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _payload.AdvanceTo(consumed, examined);

    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelled, 1);
        transport.CancelPendingRead();
    }

    public override void Complete(Exception? exception = null) => _payload.Discard();

    /// <summary>
    /// After the hub is done: reads on, dropping data, until the client's close frame or the end
    /// of the stream, or until <see cref="CancelPendingRead"/>.
    /// </summary>
    public async Task ReadUntilClosedAsync()
    {
        Complete();
        // A cancel meant for the hub's reading (SignalR aborts every connection as it ends) is moot now.
        Volatile.Write(ref _cancelled, 0);
        while (!_ended)
        {
            var result = await ReadAsync();
            if (result.IsCanceled)
            {
                return;
            }
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _waiting.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _waiting.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiting.OnCompleted(continuation, state, token, flags);

    // Reads Kestrel's input until the hub has something (Ready), a read of Kestrel's is pending
    // (Waiting: read holds it), or answering a control frame has to wait for the socket (Writing).
    private Step Pump(ref ValueTask<ReadResult> read, bool haveRead, CancellationToken cancellationToken, out ReadResult ready, out ValueTask writing)
    {
        writing = default;
        while (true)
        {
            if (haveRead)
            {
                haveRead = false;
                writing = ConsumeAsync(read);
                read = default;
                if (!writing.IsCompletedSuccessfully)
                {
                    ready = default;
                    return Step.Writing;
                }
            }

            if (TryRead(out ready))
            {
                return Step.Ready;
            }

            try
            {
                read = transport.ReadAsync(cancellationToken);
            }
            catch (Exception ex) when (IsGone(ex))
            {
                _ended = true;
                continue;
            }

            if (!read.IsCompleted)
            {
                return Step.Waiting;
            }

            haveRead = true;
        }
    }

    private void OnTransportRead()
    {
        var read = _transportRead;
        _transportRead = default;
        Resume(read, haveRead: true);
    }

    // Goes on with a read the hub waits for (_waiting) once Kestrel's input or a control frame's
    // answer is done; the hub's continuation runs when its result is set, so nothing after that.
    private void Resume(ValueTask<ReadResult> read, bool haveRead)
    {
        Step step;
        ReadResult ready;
        ValueTask writing;
        try
        {
            step = Pump(ref read, haveRead, _token, out ready, out writing);
        }
        catch (Exception ex)
        {
            _waiting.SetException(ex);
            return;
        }

        switch (step)
        {
            case Step.Ready:
                _waiting.SetResult(ready);
                break;
            case Step.Waiting:
                _transportRead = read;
                read.GetAwaiter().UnsafeOnCompleted(_onTransportRead!);
                break;
            default:
                _ = ResumeAfterAsync(writing);
                break;
        }
    }

    private async Task ResumeAfterAsync(ValueTask writing)
    {
        try
        {
            await writing;
        }
        catch (Exception ex)
        {
            _waiting.SetException(ex);
            return;
        }

        Resume(default, haveRead: false);
    }

    private async ValueTask<ReadResult> ReadAfterAsync(ValueTask writing, CancellationToken cancellationToken)
    {
        await writing;
        return await ReadAsync(cancellationToken);
    }

    // One completed read of Kestrel's input: data unmasked into the payload, control frames answered.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConsumeAsync(ValueTask<ReadResult> read)
    {
        ReadResult result;
        try
        {
            result = read.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (IsGone(ex))
        {
            _ended = true;
            return;
        }

        if (result.IsCanceled)
        {
            // Only a cancel of this reader's own counts (see CancelPendingRead).
            return;
        }

        var buffer = result.Buffer;
        var consumed = buffer.End;
        try
        {
            (consumed, var closed) = await ProcessAsync(buffer);
            _ended |= closed || result.IsCompleted;
        }
        catch (WebSocketFrameException ex)
        {
            CloseReason = ex.Message;
            _ended = true;
            // A failed connection's data is processed no further (RFC 6455 §7.1.7), even what the
            // hub had yet to read: the hub sees the end at once, as SignalR's pipe completed with an error.
            _payload.Discard();
            await SendCloseAsync(ex.Status, ex.Message);
        }
        finally
        {
            transport.AdvanceTo(consumed, buffer.End);
        }
    }

    private static bool IsGone(Exception ex) => ex is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException;

    // Everything whole in the buffer: data unmasked into the payload, control frames answered.
    // Returns where it stopped (a partial header or control frame is left for the next read).
    private async ValueTask<(SequencePosition Consumed, bool Closed)> ProcessAsync(ReadOnlySequence<byte> buffer)
    {
        while (_decoder.TryDecode(ref buffer, ref _payload, out var control))
        {
            if (await AnswerControlAsync(control))
            {
                return (buffer.Start, true);
            }
        }

        return (buffer.Start, false);
    }

    // True when the client closed. Its close frame is answered with 1000, whatever code it carried,
    // as SignalR's WebSocket transport answers it; one that breaks RFC 6455 throws (1002).
    private async ValueTask<bool> AnswerControlAsync(ControlFrame control)
    {
        var payload = control.Payload;
        switch (control.Opcode)
        {
            case WebSocketFrames.Ping:
                await writer.PongAsync(payload);
                return false;
            case WebSocketFrames.Close:
                var code = WebSocketFrames.ReadCloseStatus(payload);
                CloseReason ??= code is null ? "The client closed the WebSocket." : $"The client closed the WebSocket ({code}).";
                await SendCloseAsync(WebSocketFrames.NormalClosure, "");
                return true;
            default:
                return false;
        }
    }

    private async Task SendCloseAsync(ushort code, string reason)
    {
        try
        {
            await writer.CloseAsync(code, reason);
        }
        catch (Exception ex) when (IsGone(ex))
        {
            // The client is gone as well.
        }
    }

    private enum Step
    {
        Ready,
        Waiting,
        Writing,
    }
}
