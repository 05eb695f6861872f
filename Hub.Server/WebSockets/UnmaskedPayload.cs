using System.Buffers;

namespace Hub.Server.WebSockets;

/// <summary>
/// The client's data the hub has not consumed yet, unmasked, in one array from the shared pool
/// that goes back as soon as the hub has consumed everything: an idle connection holds none. A
/// struct held by its reader: no object of its own per connection.
/// </summary>
internal struct UnmaskedPayload
{
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _examined;
    private bool _discarding;

    /// <summary>What the hub has not consumed; positions in it are the array with an index.</summary>
    public readonly ReadOnlySequence<byte> Buffered => _end > _start ? new(_buffer!, _start, _end - _start) : ReadOnlySequence<byte>.Empty;

    /// <summary>True when data came that the hub has not looked at yet.</summary>
    public readonly bool HasNew => _end > _start && !_examined;

    /// <summary>True once the hub reads no more (<see cref="Discard"/>).</summary>
    public readonly bool Discarding => _discarding;

    /// <summary>
    /// Unmasks <paramref name="masked"/> onto the end, the key starting at <paramref name="maskOffset"/>
    /// (left where it stands after it); returns the bytes unmasked, empty when discarding.
    /// </summary>
    public ReadOnlySpan<byte> Append(ReadOnlySequence<byte> masked, uint mask, ref int maskOffset)
    {
        if (_discarding)
        {
            return [];
        }

        var length = (int)masked.Length;
        if ((_buffer?.Length ?? 0) - _end < length)
        {
            var kept = _end - _start;
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(kept + length, 256));
            _buffer.AsSpan(_start, kept).CopyTo(larger);
            Release();
            (_buffer, _start, _end) = (larger, 0, kept);
        }

        var start = _end;
        foreach (var segment in masked)
        {
            WebSocketFrames.Unmask(segment.Span, _buffer.AsSpan(_end), mask, maskOffset);
            maskOffset = (maskOffset + segment.Length) & 3;
            _end += segment.Length;
        }

        _examined = false;
        return _buffer.AsSpan(start, length);
    }

    /// <summary>As <see cref="System.IO.Pipelines.PipeReader.AdvanceTo(SequencePosition, SequencePosition)"/> for positions of <see cref="Buffered"/>.</summary>
    public void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_end == _start)
        {
            return;
        }

        _start = consumed.GetObject() == _buffer ? consumed.GetInteger() : _start;
        _examined = examined.GetObject() == _buffer && examined.GetInteger() >= _end;
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>From now on data is dropped as it comes: the hub reads no more.</summary>
    public void Discard()
    {
        _discarding = true;
        Release();
    }

    private void Release()
    {
        if (_buffer is { Length: > 0 })
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        (_buffer, _start, _end) = (null, 0, 0);
    }
}
