using Hub.Bench.Scenarios;

namespace Hub.Bench.Reporting;

/// <summary>Everything a run found: what ran where, every round, medians per variant, ratios and goals.</summary>
internal sealed record ScenarioReport
{
    public required string Scenario { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required bool Smoke { get; init; }

    public required MachineInfo Machine { get; init; }

    public required LoadShape Load { get; init; }

    public required IReadOnlyList<string> Variants { get; init; }

    public required IReadOnlyList<RoundResult> Rounds { get; init; }

    /// <summary>Per variant, the median of each metric over its rounds.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double?>> Medians { get; init; }

    /// <summary>Second variant over first, as the median of the per-pair ratios of rounds run side by side.</summary>
    public required IReadOnlyDictionary<string, double?> Ratios { get; init; }

    public required IReadOnlyList<Goal> Goals { get; init; }

    public double? Median(string variant, string metric) => Medians.GetValueOrDefault(variant)?.GetValueOrDefault(metric);

    /// <summary>Messages went through, none was lost and nothing failed: what a smoke run asserts.</summary>
    public bool Clean => Rounds.All(r => r.Accepted > 0 && r.Losses == 0 && r.Errors == 0);
}
