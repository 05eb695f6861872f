using Hub.Bench.Scenarios;
using ScottPlot;

namespace Hub.Bench.Reporting;

/// <summary>
/// PNG charts of a run with steps (a ramp): deliveries/s against the offered rate, and latency
/// percentiles against it, one line per variant, from the medians over rounds. Written next to
/// the results file; BENCHMARKS.md shows copies of them.
/// </summary>
internal static class Charts
{
    private const int Width = 900;
    private const int Height = 520;

    /// <summary>Writes the charts beside <paramref name="resultsPath"/>; returns the files written (none for a run without steps).</summary>
    public static IReadOnlyList<string> Write(ScenarioReport report, string resultsPath)
    {
        var ramps = report.Variants
            .Select(v => (Variant: v, Steps: RampSteps(report, v)))
            .Where(v => v.Steps.Count > 0)
            .ToList();
        if (ramps.Count == 0)
        {
            return [];
        }

        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resultsPath))!, Path.GetFileNameWithoutExtension(resultsPath));
        var perMessage = report.Load.DeliveriesPerMessage;
        var throughput = $"{stem}-throughput.png";
        var latency = $"{stem}-latency.png";

        var plot = new Plot();
        var top = ramps.Max(r => r.Steps.Max(s => s.Rate * perMessage));
        var ideal = plot.Add.Line(0, 0, top, top);
        ideal.LegendText = "offered";
        ideal.LinePattern = LinePattern.Dashed;
        ideal.Color = Colors.Gray;
        foreach (var (variant, steps) in ramps)
        {
            var line = plot.Add.Scatter(steps.Select(s => s.Rate * perMessage).ToArray(), steps.Select(s => s.Median("deliveriesPerSecond")).ToArray());
            line.LegendText = variant;
        }

        Finish(plot, $"{report.Scenario}: deliveries/s against offered load ({report.Load.Receivers} receivers)", "offered deliveries/s", "deliveries/s");
        plot.SavePng(throughput, Width, Height);

        plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var v = 0; v < ramps.Count; v++)
        {
            var (variant, steps) = ramps[v];
            foreach (var (key, name, pattern) in new[] { ("latencyP50Ms", "p50", LinePattern.Solid), ("latencyP99Ms", "p99", LinePattern.Dashed), ("latencyP999Ms", "p99.9", LinePattern.Dotted) })
            {
                var line = plot.Add.Scatter(steps.Select(s => s.Rate * perMessage).ToArray(), steps.Select(s => s.Median(key)).ToArray());
                line.LegendText = $"{variant} {name}";
                line.Color = palette.GetColor(v);
                line.LinePattern = pattern;
            }
        }

        var limit = plot.Add.HorizontalLine(report.Load.Ramp!.P99LimitMs);
        limit.LegendText = "p99 limit";
        limit.LinePattern = LinePattern.Dotted;
        Finish(plot, $"{report.Scenario}: latency against offered load (send to receipt)", "offered deliveries/s", "latency ms");

        // Past saturation latency grows without bound; the interesting part is below the limit.
        plot.Axes.SetLimitsY(0, report.Load.Ramp.P99LimitMs * 2);
        plot.SavePng(latency, Width, Height);
        return [throughput, latency];
    }

    private static void Finish(Plot plot, string title, string x, string y)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
    }

    /// <summary>A variant's ramp steps with their medians over rounds, by rising rate; steps past saturation that not every round reached still show.</summary>
    private static List<Step> RampSteps(ScenarioReport report, string variant) =>
        [.. report.Rounds
            .Where(r => r.Variant == variant && r.WithinLimit is not null && r.OfferedRate is not null)
            .Select(r => (r.Step, Rate: r.OfferedRate!.Value))
            .Distinct()
            .OrderBy(s => s.Rate)
            .Select(s => new Step(s.Rate, report.Medians[ScenarioReport.Series(variant, s.Step)]))];

    private sealed record Step(double Rate, IReadOnlyDictionary<string, double?> Medians)
    {
        public double Median(string key) => Medians.GetValueOrDefault(key) ?? double.NaN;
    }
}
