namespace Hub.Server.Api;

/// <summary>The HTTP API for backend services: <c>Hub:Api</c>.</summary>
internal sealed class ApiOptions
{
    public const string Section = "Hub:Api";

    /// <summary>The keys a backend may present; none configured = the API refuses every request.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>Requests per second each key may make (bursts of twice that); over it, 429.</summary>
    public int RequestsPerSecond { get; set; } = 10_000;

    /// <summary>
    /// Serves an interactive reference of the API at <c>/docs</c>. Off unless asked for: like the
    /// OpenAPI document it maps the API for whoever reaches the node.
    /// </summary>
    public bool Docs { get; set; }
}
