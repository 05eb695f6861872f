namespace Hub.Tests.Infrastructure;

/// <summary>Where a node a test started can be reached, in the test process or in its own.</summary>
public abstract class HubNode(Uri baseUrl, string nodeId)
{
    public Uri BaseUrl { get; } = baseUrl;

    public Uri HubUrl => new(BaseUrl, "/hub");

    public string NodeId { get; } = nodeId;
}
