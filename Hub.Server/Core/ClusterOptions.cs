namespace Hub.Server.Core;

/// <summary>Where the node stands in a cluster: bound from the <c>Hub</c> section.</summary>
internal sealed class ClusterOptions
{
    public const string Section = "Hub";

    /// <summary>StackExchange.Redis configuration string; empty = embedded single-node mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Names the node in presence and logs. Default: machine name plus a short random suffix.</summary>
    public string NodeId { get; set; } = "";

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}
