using System.Text.RegularExpressions;

namespace Hub.Tests.Deploy;

/// <summary>One scrape of a node's /metrics (Prometheus text format): the series names with the labels each carries, and each family's type.</summary>
internal sealed partial class PrometheusScrape
{
    private static readonly string[] HistogramParts = ["_bucket", "_sum", "_count"];

    private readonly Dictionary<string, HashSet<string>> _labels = [];
    private readonly Dictionary<string, string> _types = [];

    private PrometheusScrape()
    {
    }

    public IEnumerable<string> Families => _types.Keys;

    public static PrometheusScrape Parse(string text)
    {
        var scrape = new PrometheusScrape();
        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (TypeLine().Match(line) is { Success: true } type)
            {
                scrape._types[type.Groups["name"].Value] = type.Groups["type"].Value;
            }
            else if (!line.StartsWith('#') && Sample().Match(line) is { Success: true } sample)
            {
                var labels = scrape._labels.TryGetValue(sample.Groups["name"].Value, out var known) ? known : scrape._labels[sample.Groups["name"].Value] = [];
                labels.UnionWith(Label().Matches(sample.Groups["labels"].Value).Select(m => m.Groups["label"].Value));
            }
        }

        return scrape;
    }

    public bool HasSeries(string name) => _labels.ContainsKey(name);

    public IReadOnlySet<string> LabelsOf(string name) => _labels.TryGetValue(name, out var labels) ? labels : new HashSet<string>();

    /// <summary>The family a series belongs to (a histogram's for its parts), or null when the scrape has none.</summary>
    public string? FamilyOf(string series) =>
        _types.ContainsKey(series) ? series
        : HistogramParts.Where(series.EndsWith).Select(part => series[..^part.Length]).FirstOrDefault(family => _types.GetValueOrDefault(family) == "histogram");

    /// <summary>The type of the series' family (counter, gauge, histogram), or null when the scrape has none.</summary>
    public string? TypeOf(string series) => FamilyOf(series) is { } family ? _types[family] : null;

    [GeneratedRegex(@"^# TYPE (?<name>\S+) (?<type>\S+)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][\w:]*)(?:\{(?<labels>.*)\})? \S+")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<label>\w+)=""(?:[^""\\]|\\.)*""")]
    private static partial Regex Label();
}
