using Hub.Bench.Cluster;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Runs a scenario's variants alternately, the order turned round every other round (off, on,
/// on, off, off, on, …), so that the noise of a shared machine, and whatever the first or second
/// of a pair gets for its place (a warmer bench, for one), falls on both alike; reports medians
/// and the ratios of rounds run side by side.
/// </summary>
internal sealed class ScenarioRunner(ScenarioDefinition scenario, IReadOnlyList<Variant> compared, IBenchTarget target, LoadShape shape, int rounds, bool smoke)
{
    private static readonly Variant AsConfigured = new("as configured", new Dictionary<string, string>());

    public async Task<ScenarioReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var variants = target.AppliesVariants ? compared : [AsConfigured];
        var results = new List<RoundResult>();
        await using (var progress = new ProgressLine())
        {
            IRound round = shape.Failover is not null ? new FailoverRound(target, shape, progress, cancellationToken)
                : shape.Connections > 0 && shape.Nodes > 1 ? new SpreadConnectionsRound(target, shape, progress, cancellationToken)
                : shape.Connections > 0 ? new ConnectionsRound(target, shape, progress, cancellationToken)
                : new LoadRound(target, shape, progress, cancellationToken);
            for (var r = 1; r <= rounds; r++)
            {
                foreach (var variant in r % 2 == 1 ? variants : variants.Reverse())
                {
                    results.AddRange(await round.RunAsync(variant, r));
                }
            }
        }

        var report = new ScenarioReport
        {
            Scenario = scenario.Name,
            StartedAt = startedAt,
            Smoke = smoke,
            Machine = MachineInfo.Current(await RedisVersionAsync()),
            Load = shape,
            Variants = [.. variants.Select(v => v.Name)],
            Rounds = results,
            Medians = results.GroupBy(ScenarioReport.Series).ToDictionary(
                g => g.Key,
                g => (IReadOnlyDictionary<string, double?>)Metric.All.ToDictionary(m => m.Key, m => m.Median(g))),
            Ratios = Ratios(results, variants),
            Saturation = variants.ToDictionary(v => v.Name, v => Saturation(results.Where(r => r.Variant == v.Name))),
            Goals = [],
        };

        // The scenario's goals read its own variants' figures; a peer or A/B comparison only checks losses.
        return report with { Goals = ReferenceEquals(compared, scenario.Variants) ? scenario.Goals(report) : [Goal.NoLosses(report)] };
    }

    /// <summary>
    /// Per step ("" for rounds of one window) and metric, the median over rounds of
    /// (second variant ÷ first) within the same round and step.
    /// </summary>
    private static Dictionary<string, IReadOnlyDictionary<string, double?>> Ratios(List<RoundResult> results, IReadOnlyList<Variant> variants)
    {
        if (variants.Count < 2)
        {
            return [];
        }

        var pairs = results.Where(r => r.Variant == variants[0].Name)
            .Join(results.Where(r => r.Variant == variants[1].Name), r => (r.Round, r.Step), r => (r.Round, r.Step), (baseline, other) => (baseline, other))
            .ToList();
        return pairs.GroupBy(p => p.baseline.Step ?? "").ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, double?>)Metric.All.ToDictionary(
                m => m.Key,
                m => Statistics.Median(g.Select(p => m.Value(p.baseline) is > 0 and var b && m.Value(p.other) is { } o ? o / b : (double?)null))));
    }

    /// <summary>The median over rounds of the highest ramp rate kept up with; null without a ramp.</summary>
    private static double? Saturation(IEnumerable<RoundResult> results) =>
        Statistics.Median(results.GroupBy(r => r.Round)
            .Where(g => g.Any(r => r.WithinLimit is not null))
            .Select(g => (double?)(g.Where(r => r.WithinLimit == true).Max(r => r.OfferedRate) ?? 0)));

    private async Task<string?> RedisVersionAsync()
    {
        if (target.Redis.Count == 0)
        {
            return null;
        }

        const string field = "redis_version:";
        var info = await target.Redis[0].CommandAsync("INFO", "server");
        return info.Split('\n').FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))?[field.Length..].Trim();
    }
}
