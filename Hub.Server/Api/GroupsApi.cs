using Hub.Server.Groups;

namespace Hub.Server.Api;

/// <summary>Group membership of any connection in the cluster, as if it had joined or left itself.</summary>
internal static class GroupsApi
{
    public static RouteGroupBuilder MapGroups(this RouteGroupBuilder api)
    {
        api.MapPut("/groups/{group}/connections/{id}", async (string group, string id, GroupMembership groups, CancellationToken cancellationToken) =>
            {
                await groups.AddAsync(id, group, cancellationToken);
                return TypedResults.NoContent();
            })
            .WithSummary("Adds a connection to a group; the other members get MemberJoined.")
            .DescribeMembership();
        api.MapDelete("/groups/{group}/connections/{id}", async (string group, string id, GroupMembership groups, CancellationToken cancellationToken) =>
            {
                await groups.RemoveAsync(id, group, cancellationToken);
                return TypedResults.NoContent();
            })
            .WithSummary("Removes a connection from a group; the other members get MemberLeft.")
            .DescribeMembership();
        return api;
    }

    private static RouteHandlerBuilder DescribeMembership(this RouteHandlerBuilder membership) => membership
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
