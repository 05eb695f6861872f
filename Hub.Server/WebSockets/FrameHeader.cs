namespace Hub.Server.WebSockets;

/// <summary>A client frame's header: <paramref name="Mask"/> holds the 4 masking-key bytes little-endian.</summary>
internal readonly record struct FrameHeader(byte Opcode, bool Fin, long PayloadLength, uint Mask, int Length)
{
    public bool IsControl => Opcode >= WebSocketFrames.Close;
}
