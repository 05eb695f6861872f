namespace Hub.Bench.Cluster;

/// <summary>One server configuration a scenario compares, e.g. history off against history on.</summary>
internal sealed record Variant(string Name, IReadOnlyDictionary<string, string> Settings);
