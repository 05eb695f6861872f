namespace Hub.Server.WebSockets;

/// <summary>What a connection's first bytes are to the direct path (<see cref="UpgradeHeadReader"/>).</summary>
internal enum HeadStatus
{
    /// <summary>Not yet enough to tell.</summary>
    Incomplete,

    /// <summary>A whole upgrade this path serves, if the node admits it.</summary>
    Upgrade,

    /// <summary>Anything else: HTTP answers it.</summary>
    NotServed,
}
