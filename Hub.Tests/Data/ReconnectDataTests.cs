using System.Text.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Data;

/// <summary>What a Hub.Client missed while its node was down comes back from Redis history, every shape of data unchanged.</summary>
public sealed class ReconnectDataTests() : ClusterTest(Topology.Redis)
{
    [Test]
    public async Task EveryShapeOfData_MissedWhileItsNodeRestarted_IsResumedIdentical_InOrder([Values] HubProtocolKind protocol)
    {
        var bob = await ConnectAsync(NodeB, "bob", protocol);
        await bob.Client.JoinAsync("room").Within();
        var other = protocol == HubProtocolKind.Json ? HubProtocolKind.MessagePack : HubProtocolKind.Json;
        var ada = await ConnectAsync(NodeA, "ada", other);
        var port = NodeB.BaseUrl.Port;

        await NodeB.StopAsync();
        var sent = new List<(string Name, JsonElement Data, SendResult Result)>();
        foreach (var (name, json) in DataShapes.All)
        {
            var data = DataShapes.Parse(json);
            sent.Add((name, data, await ada.Client.PublishAsync("group:room", "shape", data).Within()));
        }

        Own(await StartNodeAsync("node-b", port));
        await bob.Reconnected.WaitForCountAsync(1, "the reconnect");
        await bob.Messages.WaitForAsync(m => m.Id == sent[^1].Result.Id, "the last message missed");

        var resumed = bob.Messages.Items.Where(m => m.Stream == "group:room").ToList();
        Assert.That(resumed.Select(m => m.Id), Is.EqualTo(sent.Select(s => s.Result.Id)), "each once, in order");
        for (var i = 0; i < sent.Count; i++)
        {
            DataShapes.AssertSame(sent[i].Data, resumed[i].Data, $"{sent[i].Name}, published over {other}, resumed over {protocol}");
            Assert.That(resumed[i].Event, Is.EqualTo("shape"));
        }

        Assert.That(bob.Lost.Items, Is.Empty);
    }
}
