namespace Hub.Server.Limits;

/// <summary>Per-message and per-connection limits: <c>Hub:Limits</c>.</summary>
internal sealed class LimitsOptions
{
    public const string Section = "Hub:Limits";

    /// <summary>Largest message data, in bytes of its UTF-8 JSON (as JSON.stringify writes it).</summary>
    public int MaxMessageBytes { get; set; } = 32768;

    /// <summary>Invocations per second per connection (burst twice that).</summary>
    public int MessagesPerSecond { get; set; } = 100;

    /// <summary>Connections per node; 0 = unlimited.</summary>
    public int MaxConnections { get; set; }

    /// <summary>New connections a node admits per second (at most a second's worth at once); 0 = unlimited.</summary>
    public int ConnectsPerSecond { get; set; }

    /// <summary>Groups one connection may be in at once; 0 = unlimited.</summary>
    public int MaxGroupsPerConnection { get; set; } = 100;

    /// <summary>
    /// SignalR's receive limit must let through data of exactly <see cref="MaxMessageBytes"/> however
    /// a client writes it. The size counts JSON with only what must be escaped; a JSON client that
    /// escapes more writes up to 6 bytes for one (DEL as <c>\u007F</c>, as SignalR's own JSON writer
    /// does; <c>&lt;</c> as <c>\u003C</c>, as System.Text.Json's default does). MessagePack takes
    /// less: at most 9 bytes where JSON takes 2 (<c>0,</c> as a 64-bit integer), 9 for 4 (<c>0.5,</c>).
    /// Beyond, 4096 bytes carry the invocation's framing and its other arguments (the stream, the
    /// event name: a few hundred bytes at most, escaped).
    /// </summary>
    public long MaximumReceiveMessageSize => (6L * MaxMessageBytes) + 4096;
}
