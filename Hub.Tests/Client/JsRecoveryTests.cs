using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Client;

/// <summary>
/// The JavaScript recovery helper served by the node (wwwroot/hub-recovery.js) with the official
/// client, run in Node: its node goes away while messages are sent, and another node takes its
/// place behind the same URL (as behind a load balancer).
/// </summary>
public sealed class JsRecoveryTests() : ClusterTest(Topology.Redis)
{
    [TestCase("json")]
    [TestCase("messagepack")]
    public async Task TheJsHelper_ResumesOnTheNextNode_AndHandsOverEveryMessageOnce_InOrder(string protocol)
    {
        await using var script = NodeScript.Start("recovery.mjs", NodeB.HubUrl.ToString(), protocol);
        await script.WaitForAsync("ready");
        var sender = await ConnectAsync(NodeA);
        var sent = new List<SendResult> { await sender.Client.SendToGroupAsync("room", "before").Within() };
        var port = NodeB.BaseUrl.Port;

        await NodeB.StopAsync();
        for (var i = 0; i < 50; i++)
        {
            sent.Add(await sender.Client.SendToGroupAsync("room", $"missed {i}").Within());
        }

        Own(await StartNodeAsync("node-b-replacement", port));
        await script.WaitForAsync("reconnected", TimeSpan.FromSeconds(20));
        sent.Add(await sender.Client.SendToGroupAsync("room", "end").Within());
        var result = await script.WaitForAsync("received");

        var received = result["received"]!.AsArray()
            .Where(m => (string?)m!["stream"] == "group:room")
            .Select(m => (string?)m!["id"]);
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(sent.Select(r => r.Id)), "every group message once, in order");
            Assert.That(result["lost"]!.AsArray(), Is.Empty);
        });
    }
}
