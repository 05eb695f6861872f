using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Hub.Server.WebSockets;

/// <summary>
/// Checks a text message's UTF-8 piece by piece as its payload is unmasked (RFC 6455 §8.1): a
/// code point may be split across frames and reads, so up to 3 bytes of one wait for the rest,
/// and the first piece that can no longer become UTF-8 fails. A struct held by the decoder:
/// nothing allocated.
/// </summary>
internal struct Utf8Validator
{
    // The bytes of a code point cut short by the end of the last piece, first byte lowest.
    private uint _pending;
    private int _pendingLength;

    /// <summary>True when no code point waits for its remaining bytes: a message may end here.</summary>
    public readonly bool AtBoundary => _pendingLength == 0;

    /// <summary>False as soon as <paramref name="bytes"/>, after what came before, cannot be the start of UTF-8 text.</summary>
    public bool TryAppend(ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength > 0 && !TryCompletePending(ref bytes))
        {
            return false;
        }

        if (Utf8.IsValid(bytes))
        {
            return true;
        }

        // Only a code point cut short at the very end may still become valid: at most 3 bytes,
        // a lead byte and its continuation bytes so far.
        var start = bytes.Length - 1;
        while (start > 0 && start > bytes.Length - 3 && (bytes[start] & 0xC0) == 0x80)
        {
            start--;
        }

        var tail = bytes[start..];
        if (Rune.DecodeFromUtf8(tail, out _, out _) != OperationStatus.NeedMoreData || !Utf8.IsValid(bytes[..start]))
        {
            return false;
        }

        _pendingLength = tail.Length;
        _pending = 0;
        for (var i = tail.Length - 1; i >= 0; i--)
        {
            _pending = (_pending << 8) | tail[i];
        }

        return true;
    }

    // Finishes the code point the last piece cut short with the first bytes of this one.
    private bool TryCompletePending(ref ReadOnlySpan<byte> bytes)
    {
        Span<byte> sequence = stackalloc byte[4];
        for (var i = 0; i < _pendingLength; i++)
        {
            sequence[i] = (byte)(_pending >> (8 * i));
        }

        var taken = 0;
        while (taken < bytes.Length)
        {
            sequence[_pendingLength] = bytes[taken++];
            _pending |= (uint)sequence[_pendingLength] << (8 * _pendingLength);
            _pendingLength++;
            switch (Rune.DecodeFromUtf8(sequence[.._pendingLength], out _, out _))
            {
                case OperationStatus.Done:
                    (_pending, _pendingLength) = (0, 0);
                    bytes = bytes[taken..];
                    return true;
                case OperationStatus.NeedMoreData:
                    continue;
                default:
                    return false;
            }
        }

        bytes = [];
        return true;
    }
}
