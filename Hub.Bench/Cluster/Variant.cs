namespace Hub.Bench.Cluster;

/// <summary>
/// One server configuration a scenario compares, e.g. history off against history on, or Hub
/// against a peer. <paramref name="ServerDll"/> runs another build of Hub.Server (an A/B of a
/// code change); null runs this one. <paramref name="Server"/> null is Hub over WebSockets.
/// </summary>
internal sealed record Variant(string Name, IReadOnlyDictionary<string, string> Settings, string? ServerDll = null, ServerKind? Server = null)
{
    public ServerKind Kind => Server ?? ServerKind.Hub;
}
