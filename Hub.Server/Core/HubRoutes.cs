namespace Hub.Server.Core;

/// <summary>Where the hub is served: every way in (HTTP, the direct WebSocket path, auth) names it from here.</summary>
internal static class HubRoutes
{
    public const string Path = "/hub";

    public const string NegotiatePath = Path + "/negotiate";
}
