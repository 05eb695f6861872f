using Hub.Bench.Cluster;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// A scenario: the server variants it compares (run alternately, baseline first), its load
/// (made tiny for a smoke run), and the goals it checks from the medians and ratios.
/// </summary>
internal sealed class ScenarioDefinition
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>The first is the baseline; the ratios are the second over it.</summary>
    public required IReadOnlyList<Variant> Variants { get; init; }

    public required LoadShape Load { get; init; }

    public required Func<ScenarioReport, IReadOnlyList<Goal>> Goals { get; init; }

    /// <summary>Whether its nodes need a Redis Cluster rather than one redis-server, as if <c>--redis-cluster</c> were given.</summary>
    public bool RedisCluster { get; init; }

    /// <summary>Starts what the variants' nodes call besides Redis (the upstream scenario's backend), for the whole run; null for nothing.</summary>
    public Func<Task<IAsyncDisposable>>? StartBackendAsync { get; init; }

    // A property, not a field: the scenarios' own static fields read HistoryOffAndOn, which must exist first.
    public static IReadOnlyList<ScenarioDefinition> All =>
    [
        FanoutScenario.Definition,
        LatencyScenario.Definition,
        GroupsScenario.Definition,
        HistoryScenario.Definition,
        PublishScenario.Definition,
        ApiScenario.Definition,
        ConnectionsScenario.Definition,
        UpstreamScenario.Definition,
        FailoverScenario.Definition,
        RoutingScenario.Definition,
    ];

    public const string HubName = "hub";

    /// <summary>Hub as it comes (history on), for the scenarios that compare rates or peers rather than settings.</summary>
    public static readonly Variant Hub = new(HubName, new Dictionary<string, string>());

    public const string HistoryOff = "history off";
    public const string HistoryOn = "history on";

    /// <summary>History off (the baseline) and on at its default size, everything else as the node defaults.</summary>
    public static readonly IReadOnlyList<Variant> HistoryOffAndOn =
    [
        new(HistoryOff, new Dictionary<string, string> { ["Hub:History:Size"] = "0" }),
        new(HistoryOn, new Dictionary<string, string> { ["Hub:History:Size"] = "1000" }),
    ];
}
