using System.Net.WebSockets;
using System.Threading.Channels;

namespace Hub.Bench.RawPeer;

/// <summary>
/// One client socket: a receive loop that publishes, and an outbox drained by a send loop of its
/// own, so that no socket waits for another and each gets its frames in order, one send at a time.
/// </summary>
internal sealed class RawConnection(WebSocket socket, Broadcast broadcast)
{
    /// <summary>Frames a socket may fall behind by before it is dropped: the bound Hub keeps on its pending sends.</summary>
    private const int MaxPendingFrames = 50_000;

    private const int MaxFrameBytes = 64 * 1024;

    private readonly Channel<byte[]> _outbox = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(MaxPendingFrames) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Queues <paramref name="frame"/> without waiting; a socket that far behind is cut off.</summary>
    public void Send(byte[] frame)
    {
        if (!_outbox.Writer.TryWrite(frame) && _outbox.Writer.TryComplete())
        {
            socket.Abort();
        }
    }

    public async Task RunAsync(CancellationToken aborted)
    {
        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync(aborted);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            // What is still queued has nobody left to read it; a send stuck on a client that
            // stopped reading ends with the socket.
            _outbox.Writer.TryComplete();
            await _stop.CancelAsync();
            await sending.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!sending.IsCompleted)
            {
                socket.Abort();
                await sending;
            }

            _stop.Dispose();
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken aborted)
    {
        var buffer = new byte[4 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), aborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                if (!TryPublish(buffer.AsSpan(0, length)))
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.InvalidPayloadData, "expected p <id> <text>", aborted);
                    return;
                }

                length = 0;
            }
            else if (length == buffer.Length)
            {
                if (length >= MaxFrameBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, null, aborted);
                    return;
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
    }

    /// <summary>Starts the PUBLISH of "p &lt;id&gt; &lt;text&gt;" without waiting for it, so one socket can have many in flight.</summary>
    private bool TryPublish(ReadOnlySpan<byte> frame)
    {
        if (!frame.StartsWith("p "u8))
        {
            return false;
        }

        var rest = frame[2..];
        var space = rest.IndexOf((byte)' ');
        if (space <= 0)
        {
            return false;
        }

        var id = rest[..space];
        _ = PublishAsync(broadcast.PublishAsync(rest[(space + 1)..].ToArray()), id.ToArray());
        return true;
    }

    private async Task PublishAsync(Task publish, byte[] id)
    {
        try
        {
            await publish;
            Send(Frame("a "u8, id, []));
        }
        catch (Exception ex)
        {
            Send(Frame("e "u8, id, System.Text.Encoding.UTF8.GetBytes(" " + ex.Message)));
        }
    }

    private static byte[] Frame(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix)
    {
        var frame = new byte[prefix.Length + id.Length + suffix.Length];
        prefix.CopyTo(frame);
        id.CopyTo(frame.AsSpan(prefix.Length));
        suffix.CopyTo(frame.AsSpan(prefix.Length + id.Length));
        return frame;
    }

    private async Task SendLoopAsync()
    {
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (!_stop.IsCancellationRequested && reader.TryRead(out var frame))
                {
                    // No token: a cancellable send costs a registration per frame, and Abort ends a stuck one.
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            // The socket closed; what is left in the outbox has nowhere to go.
        }
    }
}
