namespace Hub.Server.Groups;

internal static class GroupsServiceCollectionExtensions
{
    /// <summary>Joins, leaves and departures, kept the same in presence, on the bus and in this node's groups.</summary>
    public static WebApplicationBuilder AddHubGroups(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GroupMembership>();
        builder.Services.AddSingleton<ConnectionDepartures>();
        return builder;
    }
}
