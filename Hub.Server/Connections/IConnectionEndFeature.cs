namespace Hub.Server.Connections;

/// <summary>
/// A transport of the node's own that ends a connection after what was written so far: nothing
/// written later goes out, the close message SignalR writes as a connection ends included. The
/// JavaScript client acts on every close message it reads, so the node's own (with its reason
/// and allowReconnect) must be the last; and the socket closes cleanly, not aborted with the
/// close message still on its way.
/// </summary>
internal interface IConnectionEndFeature
{
    void End();
}
