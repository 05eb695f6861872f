using System.IO.Pipelines;

namespace Hub.Server.Coalescing;

/// <summary>A connection's transport with its output coalesced (<see cref="PlainWriter"/>), its input as it was.</summary>
internal sealed class CoalescingPipe(IDuplexPipe transport) : IDuplexPipe
{
    public PipeReader Input { get; } = transport.Input;

    public PipeWriter Output { get; } = new PlainWriter(transport.Output);
}
