namespace Hub.Server.Limits;

/// <summary>Per-message and per-connection limits: <c>Hub:Limits</c>.</summary>
internal sealed class LimitsOptions
{
    public const string Section = "Hub:Limits";

    /// <summary>Largest message text, in UTF-8 bytes.</summary>
    public int MaxMessageBytes { get; set; } = 32768;

    /// <summary>Invocations per second per connection (burst twice that).</summary>
    public int MessagesPerSecond { get; set; } = 100;

    /// <summary>Connections per node; 0 = unlimited.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Groups one connection may be in at once; 0 = unlimited.</summary>
    public int MaxGroupsPerConnection { get; set; } = 100;

    /// <summary>
    /// SignalR's receive limit must let through a text of exactly <see cref="MaxMessageBytes"/>
    /// in the worst JSON escaping (every byte a control character, written as \u00XX), plus
    /// the invocation's framing and its other arguments (ids, group names).
    /// </summary>
    public long MaximumReceiveMessageSize => (6L * MaxMessageBytes) + 4096;
}
