using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Hub.Server.Coalescing;

/// <summary>
/// A connection's output as SignalR writes it, one message per flush, in front of the socket's
/// pipe. A message is written to the socket's pipe at once, in order; it is flushed at once too,
/// unless the bus loop is delivering a run of messages that were already waiting
/// (<see cref="WriteBatch"/>): then the flush is left to the end of the run, so that what waits
/// for one connection leaves in one socket write instead of one each. A message to an idle
/// connection, or from anywhere but that run, is never held for company.
/// </summary>
/// <remarks>
/// What SignalR writes through <see cref="GetSpan"/> and <see cref="Advance"/> is kept in a
/// buffer of this writer's own until its flush, so the socket's pipe is only ever touched under
/// this writer's lock: the end of a run flushes from the bus loop while SignalR may be writing
/// another message to the same connection elsewhere. The buffer goes back to the pool after each
/// message, so an idle connection holds none.
/// </remarks>
internal abstract class CoalescingWriter(PipeWriter transport) : PipeWriter
{
    /// <summary>
    /// Unflushed bytes one connection may hold in a run: the message that passes it is flushed at
    /// once with those before it, so one socket write carries at most this and one message, well
    /// under the socket pipe's own limit (Kestrel's 64 KiB), past which backpressure starts.
    /// </summary>
    public const int MaxHeldBytes = 16 * 1024;

    /// <summary>The kind of a hub message, as against a transport's own control frames.</summary>
    protected const byte Data = 0;

    protected static readonly FlushResult Closed = new(isCanceled: false, isCompleted: true);

    private static readonly FlushResult Held = new(isCanceled: false, isCompleted: false);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[] _buffer = [];
    private int _length;
    private int _held;
    private bool _inBatch;

    protected PipeWriter Transport { get; } = transport;

    /// <summary>Whether nothing more will go out (a flush of nothing answers completed then).</summary>
    protected virtual bool IsClosed => false;

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
            return new(new FlushResult(isCanceled: false, isCompleted: IsClosed));
        }

        return SendAsync(Data, _buffer.AsMemory(0, _length), fromBuffer: true, cancellationToken);
    }

    // SignalR hands over a message serialized once for all its receivers: written straight from it.
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        _length == 0 ? SendAsync(Data, source, fromBuffer: false, cancellationToken) : base.WriteAsync(source, cancellationToken);

    public override void CancelPendingFlush() => Transport.CancelPendingFlush();

    /// <summary>
    /// Writes <paramref name="payload"/> to the socket's pipe (<see cref="Encode"/>) under the lock
    /// and flushes it, or, for a hub message in a <see cref="WriteBatch"/> while this connection
    /// holds less than <see cref="MaxHeldBytes"/>, leaves the flush to the batch.
    /// </summary>
    /// <param name="kind"><see cref="Data"/>, or a transport's control frame (never held).</param>
    /// <param name="payload">What to write.</param>
    /// <param name="fromBuffer">The payload is this writer's own buffer, given back to the pool once written.</param>
    /// <param name="cancellationToken">Cancels a flush waiting for the socket.</param>
    protected ValueTask<FlushResult> SendAsync(byte kind, ReadOnlyMemory<byte> payload, bool fromBuffer, CancellationToken cancellationToken)
    {
        if (!_lock.Wait(0))
        {
            return SendSlowAsync(kind, payload, fromBuffer, cancellationToken);
        }

        var flush = WriteLocked(kind, payload.Span, fromBuffer, WriteBatch.Current, cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            _lock.Release();
            return flush;
        }

        return AwaitAndReleaseAsync(flush);
    }

    /// <summary>Runs <paramref name="write"/> under the lock, for what a transport sends on its own (a close frame).</summary>
    protected async Task UnderLockAsync(Func<Task> write)
    {
        await _lock.WaitAsync();
        try
        {
            await write();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Writes <paramref name="payload"/> to the socket's pipe; false when it is dropped instead (the connection is closing).</summary>
    protected abstract bool Encode(byte kind, ReadOnlySpan<byte> payload);

    /// <summary>
    /// The end of a run: flushes what this connection holds. When another write has the lock it
    /// is left to that one: every write outside a run ends with a flush, of everything before it.
    /// A flush the socket makes wait (a slow reader) keeps the lock until it completes, so the
    /// next message to this connection waits for it as without a batch, and the bus loop never does.
    /// </summary>
    internal void FlushHeld()
    {
        _inBatch = false;
        if (!_lock.Wait(0))
        {
            return;
        }

        ValueTask<FlushResult> flush;
        try
        {
            if (_held == 0)
            {
                _lock.Release();
                return;
            }

            _held = 0;
            flush = Transport.FlushAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ConnectionAbortedException)
        {
            // The socket's output is already completed: the connection is going away.
            _lock.Release();
            return;
        }

        if (flush.IsCompletedSuccessfully)
        {
            _lock.Release();
            return;
        }

        _ = ReleaseWhenFlushedAsync(flush);
    }

    private async Task ReleaseWhenFlushedAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            await flush;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            // The connection went away while its last messages were on their way.
        }
        finally
        {
            _lock.Release();
        }
    }

    // Not on the batch's thread once it had to wait: flushed at once.
    private async ValueTask<FlushResult> SendSlowAsync(byte kind, ReadOnlyMemory<byte> payload, bool fromBuffer, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        return await AwaitAndReleaseAsync(WriteLocked(kind, payload.Span, fromBuffer, batch: null, cancellationToken));
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

    private ValueTask<FlushResult> WriteLocked(byte kind, ReadOnlySpan<byte> payload, bool fromBuffer, WriteBatch? batch, CancellationToken cancellationToken)
    {
        try
        {
            if (!Encode(kind, payload))
            {
                return new(Closed);
            }

            _held += payload.Length;
            if (batch is not null && kind == Data && _held <= MaxHeldBytes)
            {
                if (!_inBatch)
                {
                    _inBatch = true;
                    batch.Hold(this);
                }

                return new(Held);
            }

            _held = 0;
            return Transport.FlushAsync(cancellationToken);
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
