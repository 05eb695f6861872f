using System.Net;
using System.Text.Json.Nodes;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class HealthTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task Healthz_AndReadyz_Answer200_NamingEachCheck()
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };

        var (liveStatus, _) = await GetAsync(http, "/healthz");
        var (readyStatus, ready) = await GetAsync(http, "/readyz");

        Assert.Multiple(() =>
        {
            Assert.That(liveStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(readyStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)ready["checks"]!["backplane"]!["status"], Is.EqualTo("Healthy"));
            Assert.That((string?)ready["checks"]!["draining"]!["status"], Is.EqualTo("Healthy"));
        });
    }

    internal static async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path).Within();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, body);
    }
}

/// <summary>A node on its own Redis, which the test stops and starts again.</summary>
public sealed class RedisOutageReadinessTests
{
    [Test]
    public async Task Readyz_Is503WhileRedisIsDown_AndReadyAgainOnceItIsBack()
    {
        var redis = await RedisServer.StartAsync();
        var port = redis.Port;
        await using var node = await TestNode.StartAsync("node-alone", new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration });
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        try
        {
            Assert.That((await HealthTests.GetAsync(http, "/readyz")).Status, Is.EqualTo(HttpStatusCode.OK));

            await redis.DisposeAsync();
            JsonObject down = new();
            await Bounded.UntilAsync(async () =>
            {
                (var status, down) = await HealthTests.GetAsync(http, "/readyz");
                return status == HttpStatusCode.ServiceUnavailable;
            }, "readiness turned 503 without Redis");
            Assert.That((string?)down["checks"]!["backplane"]!["status"], Is.EqualTo("Unhealthy"));
            Assert.That((await HealthTests.GetAsync(http, "/healthz")).Status, Is.EqualTo(HttpStatusCode.OK), "alive all the same");

            redis = await RedisServer.StartAsync(port);
            await Bounded.UntilAsync(async () => (await HealthTests.GetAsync(http, "/readyz")).Status == HttpStatusCode.OK,
                "readiness back once Redis is", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
