namespace Hub.Bench.SignalRPeer;

/// <summary>What a client receives: the text alone, the least a message can carry.</summary>
internal sealed record PeerMessage(string Text);
