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

    /// <summary>Per series (a variant, or a variant's step: <see cref="Series"/>), the median of each metric over its rounds.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double?>> Medians { get; init; }

    /// <summary>
    /// Per step ("" for rounds of one window), second variant over first, as the median of the
    /// per-pair ratios of rounds (and steps) run side by side.
    /// </summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double?>> Ratios { get; init; }

    /// <summary>Per variant, for a ramp: the median over rounds of the highest rate the servers kept up with.</summary>
    public required IReadOnlyDictionary<string, double?> Saturation { get; init; }

    public required IReadOnlyList<Goal> Goals { get; init; }

    /// <summary>What a round's figures are grouped under: its variant, and its step when it has one.</summary>
    public static string Series(RoundResult round) => Series(round.Variant, round.Step);

    public static string Series(string variant, string? step) => step is null ? variant : $"{variant}, {step}";

    public double? Median(string variant, string metric, string? step = null) => Medians.GetValueOrDefault(Series(variant, step))?.GetValueOrDefault(metric);

    /// <summary>Second variant over first for <paramref name="metric"/> (of <paramref name="step"/>, when the rounds have steps).</summary>
    public double? Ratio(string metric, string? step = null) => Ratios.GetValueOrDefault(step ?? "")?.GetValueOrDefault(metric);

    /// <summary>Messages went through, none was lost and nothing failed: what a smoke run asserts.</summary>
    public bool Clean => Rounds.All(r => r.Accepted > 0 && r.Losses == 0 && r.Errors == 0);
}
