using Hub.Server.Core;
using Hub.Server.Presence;

namespace Hub.Server.Api;

/// <summary>Who is online, cluster-wide.</summary>
internal static class PresenceApi
{
    public static RouteGroupBuilder MapPresence(this RouteGroupBuilder api)
    {
        api.MapGet("/presence", (IPresenceStore presence, CancellationToken cancellationToken) =>
                presence.GetSnapshotAsync(null, cancellationToken))
            .WithSummary("Presence of the whole hub.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/groups/{group}/presence", (string group, IPresenceStore presence, CancellationToken cancellationToken) =>
            {
                NameRules.ValidateGroup(group);
                return presence.GetSnapshotAsync(group, cancellationToken);
            })
            .WithSummary("Presence of one group.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }
}
