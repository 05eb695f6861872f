namespace Hub.Client;

/// <summary>The SignalR hub protocol the client speaks.</summary>
public enum HubProtocolKind
{
    /// <summary>JSON text frames (the default).</summary>
    Json,

    /// <summary>Binary MessagePack frames: smaller and faster to parse.</summary>
    MessagePack,
}
