using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Coalescing;

/// <summary>
/// Coalesced writes on every transport Hub serves, end to end on two nodes and Redis: a burst the
/// bus delivers in runs reaches each kind of connection whole and in order, and a message alone
/// after it arrives without another to carry it.
/// </summary>
public sealed class CoalescedDeliveryTests() : ClusterTest(Topology.Redis)
{
    public enum Transport
    {
        DirectWebSocket,
        SignalRWebSocket,
        Tcp,
    }

    // The burst comes from one connection, faster than its rate limit lets a client send.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:Limits:MessagesPerSecond"] = "1000" };

    [Test]
    public async Task ABurst_ReachesEveryTransport_WholeAndInOrder_AndALoneMessageAfterIt_Arrives(
        [Values] Transport transport, [Values] HubProtocolKind protocol)
    {
        var receiver = await ConnectOverAsync(transport, protocol);
        var publisher = await ConnectAsync(NodeB);
        const int burst = 400;

        // Not awaited one by one: the bus gets them faster than a node delivers, so they queue.
        var sent = await Task.WhenAll(Enumerable.Range(0, burst).Select(i => publisher.Client.SendAsync($"burst {i}"))).Within();
        var ids = sent.OrderBy(s => s.Offset).Select(s => s.Id).ToList();
        await receiver.Messages.WaitForCountAsync(burst, $"the burst over {transport}");
        var lone = await publisher.Client.SendAsync("alone").Within();
        await receiver.Messages.WaitForAsync(m => m.Id == lone.Id, $"a lone message over {transport}, with nothing after it");

        var received = receiver.Messages.Items.Where(m => m.Id != lone.Id).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(received.Select(m => m.Id), Is.EqualTo(ids), "every message of the burst once, in the stream's order");
            Assert.That(received.Select(m => m.Offset), Is.Ordered.Ascending);
        });
    }

    private async Task<TestClient> ConnectOverAsync(Transport transport, HubProtocolKind protocol)
    {
        if (transport == Transport.DirectWebSocket)
        {
            return await ConnectAsync(NodeA, "rita", protocol);
        }

        var tcpPort = Ports.Free();
        var node = Own(await StartNodeAsync("node-c", extra: new Dictionary<string, string?>
        {
            ["Hub:WebSockets:Direct"] = "false",
            ["Hub:Tcp:Port"] = tcpPort.ToString(),
        }));
        if (transport == Transport.SignalRWebSocket)
        {
            return await ConnectAsync(node, "rita", protocol);
        }

        var client = Own(new TestClient(new HubClientOptions { Url = new Uri($"tcp://127.0.0.1:{tcpPort}"), Protocol = protocol }));
        await client.Client.StartAsync().Within();
        return client;
    }
}
