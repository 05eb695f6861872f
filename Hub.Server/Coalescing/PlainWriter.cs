using System.Buffers;
using System.IO.Pipelines;

namespace Hub.Server.Coalescing;

/// <summary>
/// A <see cref="CoalescingWriter"/> for a transport whose bytes are the hub protocol's own, with
/// no framing of its own: the raw TCP endpoint, and SignalR's transports (its WebSocket transport
/// sends what it reads from this pipe in one read as one WebSocket message).
/// </summary>
internal sealed class PlainWriter(PipeWriter transport) : CoalescingWriter(transport)
{
    public override void Complete(Exception? exception = null) => Transport.Complete(exception);

    protected override bool Encode(byte kind, ReadOnlySpan<byte> payload)
    {
        Transport.Write(payload);
        return true;
    }
}
