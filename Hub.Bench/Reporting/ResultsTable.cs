using System.Globalization;

using Hub.Bench.Scenarios;

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
        var load = report.Load;
        var sending = load.Ramp is { } ramp
            ? $"open loop, rates from {ramp.StartRate:0}/s ×{ramp.Factor:0.##} per step (at most {ramp.MaxSteps}) until p99 > {ramp.P99LimitMs:0} ms"
                + (ramp.ReadLateStepsAgain ? " in two readings of a step" : "") + $" or under {RampPlan.KeptUp:P0} delivered"
                + (ramp.Fractions.Count > 0 ? $", then {string.Join(", ", ramp.Fractions.Select(f => $"{f:P0}"))} of that rate" : "")
            : load.Rate > 0 ? $"open loop at {load.Rate:N0} msg/s in all" : $"{load.Window} Send calls in flight each";
        writer.WriteLine($"{m.Cpu}, {m.Cores} cores, {m.MemoryGiB} GiB; {m.Os}; {m.Runtime}; Redis {m.Redis ?? "unknown"}. " +
            (load.Failover is { } failover ? $"Load: {load.Connections:N0} clients in {load.Groups:N0} groups over the nodes, {load.Publishers} publisher(s) on node 1 sending to the groups at {load.Rate:N0} msg/s in all, SignalR {load.Protocol}; {load.Warmup.TotalSeconds:0.#} s warm-up, {load.Duration.TotalSeconds:0.#} s with every node up, then node {failover.KillNode + 1} killed (SIGKILL) and {failover.After.TotalSeconds:0.#} s more once its clients are back."
            : load.Connections > 0 ? $"Load: up to {load.Connections:N0} idle connections (SignalR {load.Protocol}, over WebSocket unless the variant says tcp) and 1 publisher, " +
                (load.Nodes > 1 ? $"the connections spread evenly over {load.Nodes} nodes, each node's from a load process of its own, the publisher on node 1" : "all on node 1") + "; 3 broadcasts per round." : $"Load: {load.Receivers} receivers{(load.Groups > 0 ? $" in {load.Groups} groups" : "")}, {load.Publishers} publishers, {sending}, " +
            $"{load.TextLength}-byte texts, SignalR {load.Protocol}, {load.Warmup.TotalSeconds:0.#} s warm-up + {load.Duration.TotalSeconds:0.#} s measured per {(load.Ramp is null ? "round" : "step")}."));
        writer.WriteLine();

        var columns = Metric.All.Where(c => report.Rounds.Any(r => c.Value(r) is { } v && (v != 0 || c.Key is "losses" or "errors"))).ToList();
        var steps = report.Rounds.Any(r => r.Step is not null);
        Row(writer, ["variant", "round", .. steps ? ["step", "kept up"] : Array.Empty<string>(), .. columns.Select(c => c.Header)]);
        Row(writer, ["---", "---", .. steps ? ["---", "---"] : Array.Empty<string>(), .. columns.Select(_ => "---:")]);
        foreach (var round in report.Rounds)
        {
            string[] step = steps ? [round.Step ?? "", round.WithinLimit switch { true => "yes", false => "**no**", null => "" }] : [];
            Row(writer, [round.Variant, round.Round.ToString(CultureInfo.InvariantCulture), .. step, .. columns.Select(c => c.Print(c.Value(round)))]);
        }

        foreach (var (series, medians) in report.Medians)
        {
            string[] step = steps ? ["", ""] : [];
            Row(writer, [$"**{series}**", "median", .. step, .. columns.Select(c => c.Print(medians.GetValueOrDefault(c.Key)))]);
        }

        foreach (var (variant, rate) in report.Saturation.Where(s => s.Value is not null))
        {
            writer.WriteLine($"\nSaturation, {variant}: {rate:N0} msg/s ({rate * load.DeliveriesPerMessage:N0} deliveries/s), the median over rounds of the highest rate kept up with.");
        }

        if (report.Variants.Count >= 2)
        {
            writer.WriteLine();
            writer.WriteLine($"Ratio {report.Variants[1]} / {report.Variants[0]} (median of the per-round ratios):");
            writer.WriteLine();
            var ratioSteps = report.Ratios.Keys.ToList();
            Row(writer, ["metric", .. ratioSteps.Select(s => s == "" ? "ratio" : s)]);
            Row(writer, ["---", .. ratioSteps.Select(_ => "---:")]);
            foreach (var column in columns.Where(c => c.Key is not ("losses" or "errors" or "offeredRate") && ratioSteps.Any(s => report.Ratio(c.Key, s) is not null)))
            {
                Row(writer, [column.Header, .. ratioSteps.Select(s => report.Ratio(column.Key, s)?.ToString("0.00", CultureInfo.InvariantCulture) ?? "–")]);
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
            writer.WriteLine($"\n{ScenarioReport.Series(round)} #{round.Round}: {round.Errors} errors, e.g.:\n  " + string.Join("\n  ", round.ErrorSamples));
        }
    }

    private static void Row(TextWriter writer, IEnumerable<string> cells) => writer.WriteLine("| " + string.Join(" | ", cells) + " |");
}
