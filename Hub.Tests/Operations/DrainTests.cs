using System.Collections.Concurrent;
using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

/// <summary>A node asked to stop drains: not ready, no new connections, its clients sent elsewhere a few at a time.</summary>
public sealed class DrainTests() : ClusterTest(Topology.Redis)
{
    // The stopping node spreads its closes over its drain time on its own clock, which the test runs.
    protected override bool OnFakeTime(string nodeId) => nodeId == "node-b";

    [Test]
    public async Task AStoppingNode_SendsItsClientsToAnotherNode_SpreadOverTheDrainTime_AndRefusesNewOnes()
    {
        var moved = new ConcurrentDictionary<int, TimeSpan>();
        var started = Clock.GetUtcNow();
        var clients = new List<TestClient>();
        for (var i = 0; i < 10; i++)
        {
            var index = i;
            var client = Own(new TestClient(new HubClientOptions { Urls = [NodeB.HubUrl, NodeA.HubUrl] }));
            client.Client.Reconnecting += _ => moved.TryAdd(index, Clock.GetUtcNow() - started);
            await client.Client.StartAsync().Within();
            clients.Add(client);
        }

        using var http = new HttpClient { BaseAddress = NodeB.BaseUrl, Timeout = Bounded.Default };
        // Stopping runs the drain on the caller's thread (the stopping callbacks are synchronous).
        var stopping = Task.Run(NodeB.StopAsync);
        await Bounded.UntilAsync(() => Task.FromResult(!moved.IsEmpty), "the first client told to reconnect");
        // The clock stands still, so the node is still draining, waiting to close the second one.
        var (readiness, _) = await HealthTests.GetAsync(http, "/readyz");
        using var negotiate = await http.PostAsync("/hub/negotiate?negotiateVersion=1", null).Within();
        await RunClockUntilAsync(stopping).Within();
        foreach (var client in clients)
        {
            await client.Reconnected.WaitForCountAsync(1, "the reconnect to node A");
        }

        var presence = await clients[0].Client.GetPresenceAsync().Within();
        var times = moved.Values.Order().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(readiness, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "not ready while draining");
            Assert.That(negotiate.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "no new connections while draining");
            Assert.That(times, Has.Count.EqualTo(10));
            Assert.That(times[^1] - times[0], Is.GreaterThan(TimeSpan.FromSeconds(1.2)), "spread over the 2 s drain, not all at once");
            Assert.That(presence.Nodes.Select(n => (n.Id, n.Connections)), Is.EqualTo(new[] { ("node-a", 10L) }));
        });
    }
}
