namespace Hub.Bench.Cluster;

/// <summary>
/// One server configuration a scenario compares, e.g. history off against history on.
/// <paramref name="ServerDll"/> runs another build of Hub.Server (an A/B of a code change); null runs this one.
/// </summary>
internal sealed record Variant(string Name, IReadOnlyDictionary<string, string> Settings, string? ServerDll = null);
