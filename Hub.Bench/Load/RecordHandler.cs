namespace Hub.Bench.Load;

/// <summary>Handles one SignalR record (without its separator) as it arrives.</summary>
internal delegate void RecordHandler(ReadOnlySpan<byte> record);
