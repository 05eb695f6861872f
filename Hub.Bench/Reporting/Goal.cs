using System.Globalization;

namespace Hub.Bench.Reporting;

/// <summary>A target from the performance issue and what this run measured against it.</summary>
internal sealed record Goal(string Name, string Target, double? Actual, bool? Met, string Format)
{
    public string PrintActual() => Actual?.ToString(Format, CultureInfo.InvariantCulture) ?? "–";

    public static Goal AtLeast(string name, double target, double? actual, string format = "0.00") =>
        new(name, $"≥ {target.ToString(format, CultureInfo.InvariantCulture)}", actual, actual is null ? null : actual >= target, format);

    public static Goal AtMost(string name, double target, double? actual, string format = "0.00") =>
        new(name, $"≤ {target.ToString(format, CultureInfo.InvariantCulture)}", actual, actual is null ? null : actual <= target, format);

    public static Goal NoLosses(ScenarioReport report) => AtMost("losses", 0, report.Rounds.Sum(r => r.Losses), "0");
}
