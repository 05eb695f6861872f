using Hub.Bench.Cluster;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Interest routing, off against on, on a Redis Cluster: groups whose members all sit on nodes 1
/// and 2, a publisher on each of those, the other nodes holding only members of groups that get
/// nothing, at one offered rate whatever <c>--nodes</c> says. Per round: Redis CPU per message, and
/// the CPU and bus messages per message of the nodes with no recipient. Flat from 2 to 4 to 8
/// nodes with routing on is what it shows; with routing off both grow with the nodes.
/// </summary>
internal static class RoutingScenario
{
    public const string Off = "routing off";
    public const string On = "routing on";

    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "routing",
        Description = "groups on nodes 1 and 2 of N on a Redis Cluster, interest routing off vs on: Redis and no-recipient node CPU per message",
        RedisCluster = true,
        Variants =
        [
            new(Off, new Dictionary<string, string> { ["Hub:InterestRouting"] = "false" }),
            new(On, new Dictionary<string, string> { ["Hub:InterestRouting"] = "true" }),
        ],
        Load = new LoadShape
        {
            Nodes = 4,
            MemberNodes = 2,
            QuietMembers = 50,
            Receivers = 1000,
            Groups = 200,
            Publishers = 2,
            Window = 1,
            Rate = 1000,
            Warmup = TimeSpan.FromSeconds(3),
            Duration = TimeSpan.FromSeconds(10),
        },
        Goals = report => [Goal.NoLosses(report)],
    };
}
