using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

/// <summary>
/// A node whose Redis does not exist yet, as when a whole cluster starts at once or Redis is being
/// replaced: it must listen and answer its probes at once (an orchestrator would otherwise restart
/// it in a loop), refuse sends quickly with a clear error, and become ready by itself when Redis
/// starts.
/// </summary>
public sealed class RedisOutageAtStartTests
{
    private const string ApiKey = "outage-at-start-key";

    [Test]
    public async Task ANodeStartedBeforeItsRedis_ListensAtOnce_RefusesSendsFast_AndBecomesReadyWhenRedisStarts()
    {
        var port = Ports.Free();
        var clock = Stopwatch.StartNew();
        await using var node = await NodeProcess.StartAsync("node-early", new Dictionary<string, string?>
        {
            ["Hub:Redis"] = $"127.0.0.1:{port}",
            ["Hub:Api:Keys:0"] = ApiKey,
            ["Logging:LogLevel:Hub.Server.Redis"] = "Information",
        }, untilReady: false);
        var serving = clock.Elapsed;
        TestContext.Out.WriteLine($"serving after {serving.TotalSeconds:0.0} s (dotnet's own start included)");
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        using (var live = await http.GetAsync("/healthz"))
        using (var ready = await http.GetAsync("/readyz"))
        {
            Assert.Multiple(() =>
            {
                Assert.That(serving, Is.LessThan(TimeSpan.FromSeconds(10)), "the node listens without waiting for Redis");
                Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "/healthz: the process is alive");
                Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "/readyz: not ready without Redis");
            });
        }

        // A few seconds without Redis: retries every second must not fill the log.
        await Task.Delay(TimeSpan.FromSeconds(3));
        clock.Restart();
        using (var negotiate = await http.PostAsync("/hub/negotiate?negotiateVersion=1", null))
        {
            Assert.That(negotiate.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable),
                "a new connection is refused up front, so its client tries again rather than being closed for good");
        }

        using (var refused = await http.PostAsJsonAsync("/api/v1/messages", new { text = "before Redis" }))
        {
            var detail = await refused.Content.ReadAsStringAsync();
            Assert.Multiple(() =>
            {
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "the send fails fast");
                Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(detail, Does.Contain("Redis").And.Contain("unavailable"), "the error says why");
            });
        }

        await using var redis = await RedisServer.StartAsync(port);
        await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(15));

        await using var client = new TestClient(new HubClientOptions { Url = node.HubUrl });
        await client.Client.StartAsync().Within();
        var sent = await client.Client.SendAsync("after Redis").Within();
        await client.Messages.WaitForAsync(m => m.Id == sent.Id, "the message sent once Redis is there");

        var output = node.Output;
        var lines = output.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines.Count(l => l.Contains("Redis is unreachable")), Is.EqualTo(1), $"one warning for the outage:\n{output}");
            Assert.That(lines.Count(l => l.Contains("Redis answers again")), Is.EqualTo(1), $"one line once Redis is back:\n{output}");
            Assert.That(lines.Where(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)), Is.Empty, $"no stack trace:\n{output}");
            Assert.That(lines.Count(l => l.StartsWith("warn:") || l.StartsWith("fail:") || l.StartsWith("crit:")), Is.EqualTo(1),
                $"nothing else warned about the outage:\n{output}");
        });
    }
}
