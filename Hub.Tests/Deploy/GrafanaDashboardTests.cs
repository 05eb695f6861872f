using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Client;
using Hub.Tests.Api;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Deploy;

/// <summary>
/// deploy/grafana/hub-dashboard.json read against a live node's /metrics: a query of a series the
/// node does not export draws an empty panel and says nothing, so every one is checked here, after
/// traffic that gives each instrument its series. One node only: the metrics pipeline listens to
/// meters process-wide, and two nodes in one test process would count into each other's /metrics.
/// </summary>
public sealed partial class GrafanaDashboardTests() : ClusterTest(Topology.InMemory)
{
    public static readonly string DashboardPath = DeployFiles.PathOf("deploy", "grafana", "hub-dashboard.json");

    // Prometheus adds these to every series it scrapes: they are not in /metrics.
    private static readonly string[] TargetLabels = ["instance", "job"];

    private static readonly string[] RateFunctions = ["rate", "irate", "increase"];

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:Api:Keys:0"] = ApiClient.Key };

    [Test]
    public async Task EverySeriesTheDashboardQueries_IsOnANodesMetrics_WithTheLabelsItGroupsBy()
    {
        var scrape = await ScrapeAfterTrafficAsync();

        Assert.Multiple(() =>
        {
            foreach (var (where, expression) in Queries())
            {
                var series = PromQl.Metrics(expression);
                var labels = series.SelectMany(scrape.LabelsOf).Concat(TargetLabels).ToHashSet();
                Assert.That(series, Is.Not.Empty, $"{where} reads no series: {expression}");
                Assert.That(series.Where(s => !scrape.HasSeries(s)), Is.Empty, $"{where} reads series the node does not export: {expression}");
                Assert.That(PromQl.GroupingLabels(expression).Where(l => !labels.Contains(l)), Is.Empty, $"{where} groups by labels its series lack: {expression}");
                // A rate of a gauge draws noise; a quantile of anything but a histogram's buckets, by le, draws nothing.
                Assert.That(RateFunctions.SelectMany(f => PromQl.Arguments(expression, f)).SelectMany(PromQl.Metrics).Where(s => scrape.TypeOf(s) is not ("counter" or "histogram")),
                    Is.Empty, $"{where} takes a rate of series that are not counters: {expression}");
                foreach (var quantile in PromQl.Arguments(expression, "histogram_quantile"))
                {
                    Assert.That(PromQl.Metrics(quantile).Where(s => !s.EndsWith("_bucket", StringComparison.Ordinal) || scrape.TypeOf(s) != "histogram"),
                        Is.Empty, $"{where} takes a quantile of series that are not histogram buckets: {expression}");
                    Assert.That(PromQl.GroupingLabels(quantile), Does.Contain("le"), $"{where} takes a quantile without keeping the buckets apart: {expression}");
                }
            }
        });
    }

    [Test]
    public async Task EveryInstrumentOfHub_HasAPanel()
    {
        var scrape = await ScrapeAfterTrafficAsync();

        var shown = Queries().SelectMany(q => PromQl.Metrics(q.Expression)).Select(scrape.FamilyOf).ToHashSet();

        Assert.That(scrape.Families.Where(f => f.StartsWith("hub_", StringComparison.Ordinal) && !shown.Contains(f)), Is.Empty, "Hub's instruments on no panel");
    }

    [Test]
    public void EveryPanel_ReadsThePrometheusTheViewerPicks()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var variables = json.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        var datasource = variables.SingleOrDefault(v => v.GetProperty("type").GetString() == "datasource");

        Assert.That(datasource.ValueKind, Is.EqualTo(JsonValueKind.Object), "a datasource variable");
        Assert.That(datasource.GetProperty("query").GetString(), Is.EqualTo("prometheus"));
        var reference = $"${{{datasource.GetProperty("name").GetString()}}}";
        var readers = Panels(json.RootElement).Where(p => p.GetProperty("type").GetString() != "row")
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Prepend(p))
            .Concat(variables.Where(v => v.GetProperty("type").GetString() == "query"));
        Assert.That(readers.Where(r => r.GetProperty("datasource").GetProperty("uid").GetString() != reference).Select(NameOf), Is.Empty,
            $"panels, queries and variables that read another datasource than {reference}");
    }

    [TestCase("sum by (kind) (rate(hub_messages_published_total{instance=~\"$instance\"}[$__rate_interval]))", "hub_messages_published_total")]
    [TestCase("histogram_quantile(0.99, sum by (le, instance) (rate(x_seconds_bucket{a=\"b,c\"}[5m])))", "x_seconds_bucket")]
    [TestCase("sum(rate(a_total[1m])) / on (instance) group_left max by (instance) (b) > bool 1e3", "a_total b")]
    [TestCase("max(c offset 5m) or vector(0)", "c")]
    public void PromQl_FindsTheSeriesAnExpressionReads(string expression, string series)
    {
        Assert.That(PromQl.Metrics(expression), Is.EqualTo(series.Split(' ')));
    }

    /// <summary>Every query of the dashboard, with where it is: the panels' targets, and the variables' label_values as the PromQL they stand for.</summary>
    private static List<(string Where, string Expression)> Queries()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var queries = Panels(json.RootElement)
            .SelectMany(p => p.TryGetProperty("targets", out var targets) ? targets.EnumerateArray().Select(t => (p, t)) : [])
            .Select(pt => ($"panel '{pt.p.GetProperty("title").GetString()}' query {pt.t.GetProperty("refId").GetString()}", pt.t.GetProperty("expr").GetString()!))
            .ToList();
        foreach (var variable in json.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
        {
            var query = variable.GetProperty("query");
            var text = query.ValueKind == JsonValueKind.String ? query.GetString()! : query.GetProperty("query").GetString()!;
            var labelValues = LabelValues().Match(text);
            Assert.That(labelValues.Success, $"variable '{variable.GetProperty("name").GetString()}' is a label_values query: {text}");
            queries.Add(($"variable '{variable.GetProperty("name").GetString()}'", $"count by ({labelValues.Groups["label"].Value}) ({labelValues.Groups["selector"].Value})"));
        }

        return queries;
    }

    private static string NameOf(JsonElement element) =>
        new[] { "title", "name", "refId" }.Select(p => element.TryGetProperty(p, out var name) ? name.GetString() : null).First(n => n is not null)!;

    /// <summary>The panels at any depth: a collapsed row holds its own.</summary>
    private static IEnumerable<JsonElement> Panels(JsonElement parent) =>
        parent.TryGetProperty("panels", out var panels) ? panels.EnumerateArray().SelectMany(p => Panels(p).Prepend(p)) : [];

    /// <summary>Traffic that gives each instrument a series, then a scrape that shows it all.</summary>
    private async Task<PrometheusScrape> ScrapeAfterTrafficAsync()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        // WebSockets are served by Hub itself; SignalR's meter counts the transports SignalR serves.
        await using var polling = new HubConnectionBuilder().WithUrl(NodeA.HubUrl, HttpTransportType.LongPolling).Build();
        await polling.StartAsync().Within();
        await alice.Client.JoinAsync("room").Within();
        var sent = await alice.Client.SendToGroupAsync("room", "to the room").Within();
        await using var api = new ApiClient(NodeA);
        await api.SendTextAsync("/api/v1/messages", "from a backend").Within();
        await alice.Messages.WaitForCountAsync(2, "the group message and the broadcast");
        Assert.ThrowsAsync<HubException>(() => alice.Client.JoinAsync("").Within(), "a rejected call");
        var epoch = alice.Messages.Items.Single(m => m.Id == sent.Id).Epoch;
        await alice.Client.ResumeAsync(new ResumeRequest { Streams = [new StreamPosition { Stream = sent.Stream, Epoch = epoch, Offset = 0 }] }).Within();
        // The runtime reports the heap as its last collection left it, and only once there was one.
        GC.Collect();

        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        var text = "";
        // The exporter caches a scrape briefly: the resume, last, shows once everything before it does.
        await Bounded.UntilAsync(async () => (text = await http.GetStringAsync("/metrics")).Contains("hub_recovery_total"), "the resume shows in /metrics");
        return PrometheusScrape.Parse(text);
    }

    // Grafana's label_values(selector, label) for a variable's values.
    [GeneratedRegex(@"^\s*label_values\(\s*(?<selector>.+?)\s*,\s*(?<label>\w+)\s*\)\s*$")]
    private static partial Regex LabelValues();
}
