using Hub.Bench.Cluster;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>One round of a scenario with one variant: start the servers, load them, measure, stop them.</summary>
internal interface IRound
{
    /// <returns>The round's figures: one result, or one per step.</returns>
    Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round);
}
