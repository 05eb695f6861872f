namespace Hub.Testing;

/// <summary>The request that succeeds once a server started as a process serves.</summary>
internal sealed record Readiness(HttpMethod Method, string Path)
{
    /// <summary>A Hub node whose hub takes connections: negotiate answers once the hub, and with it the bus subscription, is up.</summary>
    public static readonly Readiness HubNegotiate = new(HttpMethod.Post, "/hub/negotiate?negotiateVersion=1");

    /// <summary>A Hub node that answers at all, also one that waits for its Redis.</summary>
    public static readonly Readiness Alive = new(HttpMethod.Get, "/healthz");
}
