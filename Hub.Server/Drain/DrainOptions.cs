namespace Hub.Server.Drain;

/// <summary>Graceful shutdown: <c>Hub:Shutdown</c>.</summary>
internal sealed class DrainOptions
{
    public const string Section = "Hub:Shutdown";

    /// <summary>
    /// On SIGTERM the node's connections are closed (clients reconnect elsewhere) spread evenly
    /// over this many seconds, so the other nodes are not hit by all of them at once.
    /// </summary>
    public int DrainSeconds { get; set; } = 10;
}
