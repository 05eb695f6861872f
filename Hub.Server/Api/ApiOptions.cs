namespace Hub.Server.Api;

/// <summary>The HTTP API for backend services: <c>Hub:Api</c>.</summary>
internal sealed class ApiOptions
{
    public const string Section = "Hub:Api";

    /// <summary>The keys a backend may present; none configured = the API refuses every request.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>Requests per second each key may make (bursts of twice that); over it, 429.</summary>
    public int RequestsPerSecond { get; set; } = 10_000;
}
