using System.Globalization;

namespace Hub.Bench.Reporting;

/// <summary>The results as Markdown tables: readable in a terminal, and pasted as they are into BENCHMARKS.md.</summary>
internal static class ResultsTable
{
    public static void Write(ScenarioReport report, TextWriter writer)
    {
        var m = report.Machine;
        writer.WriteLine();
        writer.WriteLine($"### {report.Scenario}{(report.Smoke ? " (smoke)" : "")}, {report.StartedAt:yyyy-MM-dd HH:mm} UTC");
        writer.WriteLine();
        writer.WriteLine($"{m.Cpu}, {m.Cores} cores, {m.MemoryGiB} GiB; {m.Os}; {m.Runtime}; Redis {m.Redis ?? "unknown"}. " +
            $"Load: {report.Load.Receivers} receivers, {report.Load.Publishers} publishers with {report.Load.Window} Send calls in flight each, " +
            $"{report.Load.TextLength}-byte texts, {report.Load.Warmup.TotalSeconds:0.#} s warm-up + {report.Load.Duration.TotalSeconds:0.#} s measured per round.");
        writer.WriteLine();

        var columns = Metric.All.Where(c => report.Rounds.Any(r => c.Value(r) is { } v && (v != 0 || c.Key is "losses" or "errors"))).ToList();
        Row(writer, ["variant", "round", .. columns.Select(c => c.Header)]);
        Row(writer, ["---", "---", .. columns.Select(_ => "---:")]);
        foreach (var round in report.Rounds)
        {
            Row(writer, [round.Variant, round.Round.ToString(CultureInfo.InvariantCulture), .. columns.Select(c => c.Print(c.Value(round)))]);
        }

        foreach (var (variant, medians) in report.Medians)
        {
            Row(writer, [$"**{variant}**", "median", .. columns.Select(c => c.Print(medians.GetValueOrDefault(c.Key)))]);
        }

        if (report.Variants.Count >= 2)
        {
            writer.WriteLine();
            writer.WriteLine($"Ratio {report.Variants[1]} / {report.Variants[0]} (median of the per-round ratios):");
            writer.WriteLine();
            Row(writer, ["metric", "ratio"]);
            Row(writer, ["---", "---:"]);
            foreach (var column in columns.Where(c => report.Ratios.GetValueOrDefault(c.Key) is not null && c.Key is not ("losses" or "errors")))
            {
                Row(writer, [column.Header, report.Ratios[column.Key]!.Value.ToString("0.00", CultureInfo.InvariantCulture)]);
            }
        }

        writer.WriteLine();
        Row(writer, ["goal", "target", "measured", "met"]);
        Row(writer, ["---", "---", "---:", "---"]);
        foreach (var goal in report.Goals)
        {
            Row(writer, [goal.Name, goal.Target, goal.PrintActual(), goal.Met switch { true => "yes", false => "**no**", null => "not measured" }]);
        }

        foreach (var round in report.Rounds.Where(r => r.ErrorSamples.Count > 0))
        {
            writer.WriteLine($"\n{round.Variant} #{round.Round}: {round.Errors} errors, e.g.:\n  " + string.Join("\n  ", round.ErrorSamples));
        }
    }

    private static void Row(TextWriter writer, IEnumerable<string> cells) => writer.WriteLine("| " + string.Join(" | ", cells) + " |");
}
