using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

/// <summary>
/// hub_presence_connections on /metrics. One node per test, alone or on a Redis: the metrics
/// pipeline listens to meters by name, process-wide, so two nodes in one test process would count
/// into each other's /metrics.
/// </summary>
public sealed partial class PresenceMetricsTests
{
    // A heartbeat a minute apart: what a scrape shows within a test cannot be a heartbeat's count.
    private static readonly Dictionary<string, string?> SlowHeartbeat = new()
    {
        ["Hub:Presence:HeartbeatSeconds"] = "60",
        ["Hub:Presence:NodeTimeoutSeconds"] = "180",
    };

    [TestCase(Topology.InMemory)]
    [TestCase(Topology.Redis)]
    public async Task PresenceConnections_IsTheClustersCount_AtEveryScrape(Topology topology)
    {
        var settings = new Dictionary<string, string?>(SlowHeartbeat);
        if (topology == Topology.Redis)
        {
            var redis = await SharedRedis.GetAsync();
            await redis.FlushAllAsync().Within();
            settings["Hub:Redis"] = redis.Configuration;
        }

        await using var node = await TestNode.StartAsync("node-a", settings);
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        await using var alice = await ConnectAsync(node, "alice");
        await using var bob = await ConnectAsync(node, "bob");
        await using var carol = await ConnectAsync(node, "carol");

        var first = await ScrapeAsync(http);
        Assert.Multiple(() =>
        {
            Assert.That(first.GetValueOrDefault("hub_presence_connections"), Is.EqualTo(3), "the first scrape after three clients connected");
            Assert.That(first.GetValueOrDefault("hub_presence_nodes"), Is.EqualTo(1));
        });

        await carol.Client.StopAsync().Within();
        // The exporter answers from its copy of the last scrape for 300 ms; a heartbeat is a minute away.
        await Bounded.UntilAsync(async () => (await ScrapeAsync(http)).GetValueOrDefault("hub_presence_connections") == 2,
            "hub_presence_connections reads 2", TimeSpan.FromSeconds(3));
    }

    [Test]
    public async Task WhenRedisDoesNotAnswer_AScrapeStillAnswersInTime_WithTheLastCountKnown()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?>(SlowHeartbeat) { ["Hub:Redis"] = redis.Configuration };
        await using var node = await TestNode.StartAsync("node-a", settings);
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        await using var alice = await ConnectAsync(node, "alice");
        await using var bob = await ConnectAsync(node, "bob");
        Assert.That((await ScrapeAsync(http)).GetValueOrDefault("hub_presence_connections"), Is.EqualTo(2));

        // Past the exporter's 300 ms copy of that scrape, so the next one asks presence again.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await redis.PauseAsync(TimeSpan.FromSeconds(4)).Within();
        var clock = Stopwatch.StartNew();
        var count = (await ScrapeAsync(http)).GetValueOrDefault("hub_presence_connections", -1);
        clock.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(2), "the last count known (-1: no value at all)");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)), "a scrape waits for presence about a second at most");
        });
    }

    private static async Task<TestClient> ConnectAsync(TestNode node, string user)
    {
        var client = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, user) });
        await client.Client.StartAsync().Within();
        return client;
    }

    /// <summary>The presence gauges (hub_presence_connections, hub_presence_nodes) in a scrape of /metrics.</summary>
    private static async Task<Dictionary<string, long>> ScrapeAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics").Within();
        return PresenceGauge().Matches(text).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(hub_presence_\w+?)(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex PresenceGauge();
}
