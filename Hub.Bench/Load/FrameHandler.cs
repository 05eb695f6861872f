namespace Hub.Bench.Load;

/// <summary>Handles one parsed hub message as it arrives.</summary>
internal delegate void FrameHandler(HubFrame frame);
