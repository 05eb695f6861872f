using System.Net;
using System.Net.WebSockets;
using Hub.Client;
using Hub.Tests.Api;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Limits;

/// <summary>At most 2 connections per node; API keys limited to 2 requests per second, bursts of 4.</summary>
public sealed class ConnectionAndApiLimitTests() : ClusterTest(Topology.InMemory)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Limits:MaxConnections"] = "2",
        ["Hub:Api:Keys:0"] = ApiClient.Key,
        ["Hub:Api:Keys:1"] = "second-key",
        ["Hub:Api:RequestsPerSecond"] = "2",
    };

    [Test]
    public async Task PastMaxConnections_ANewConnectionGets503_AtNegotiateAndAtADirectConnect_AndTheOpenOnesCarryOn()
    {
        var first = await ConnectAsync(NodeA);
        var second = await ConnectAsync(NodeA);
        var third = Own(new TestClient(new HubClientOptions { Url = NodeA.HubUrl }));

        var refused = Assert.ThrowsAsync<HttpRequestException>(() => third.Client.StartAsync().Within());
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new UriBuilder(NodeA.HubUrl) { Scheme = "ws" }.Uri, CancellationToken.None).Within());

        Assert.Multiple(() =>
        {
            Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
        var stillServed = await first.Client.SendAsync("the open connections carry on").Within();
        await second.Messages.WaitForAsync(m => m.Id == stillServed.Id, "the broadcast");

        await second.Client.StopAsync().Within();
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                await third.Client.StartAsync();
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "a place to free up once a connection left");
    }

    [Test]
    public async Task AnApiKeyOverItsRate_Gets429_WhileAnotherKeyIsServed()
    {
        await using var api = new ApiClient(NodeA);
        await using var other = new ApiClient(NodeA, "second-key");
        for (var i = 0; i < 4; i++)
        {
            await api.SendTextAsync("/api/v1/messages", $"within the burst {i}");
        }

        using var refused = await api.PostTextAsync("/api/v1/messages", "one too many");
        var problem = await refused.Content.ReadAsStringAsync();
        var served = await other.SendTextAsync("/api/v1/messages", "another key");

        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(refused.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(problem, Does.Contain("Hub:Api:RequestsPerSecond"));
            Assert.That(served.Offset, Is.GreaterThan(0));
        });
    }
}
