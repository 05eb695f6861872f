using ChatApp;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Handlers;

/// <summary>
/// The groups the application's handler puts a connection in are its streams like the groups it
/// joins itself: what it missed on them while away comes back when it resumes, even when nothing
/// had reached it on them before. Across a node's restart, so Redis only.
/// </summary>
public sealed class HandlerGroupsResumeTests() : ClusterTest(Topology.Redis)
{
    protected override AppBuilder? App => ChatServer.Build;

    [Test]
    public async Task TheGroupsTheHandlerGave_AreResumedAfterAReconnect_BeforeTheirFirstMessage()
    {
        var bob = await ChatAsync(NodeB, "bob");
        var ada = await ChatAsync(NodeA, "ada");
        var port = NodeB.BaseUrl.Port;

        await NodeB.StopAsync();
        var missed = await ada.Client.SendToGroupAsync(ChatHandler.Lobby, "while bob was away").Within();
        Own(await StartNodeAsync("node-b", port));
        await bob.Reconnected.WaitForCountAsync(1, "bob's reconnect");

        // No message of the lobby reached bob before his node stopped: only his first Resume's
        // positions told his client that the lobby is one of his streams.
        await bob.Messages.WaitForAsync(m => m.Id == missed.Id, "the lobby's message sent while bob's node was down");
        Assert.That(bob.Lost.Items, Is.Empty);
    }

    private async Task<TestClient> ChatAsync(HubNode node, string name)
    {
        var client = Own(new TestClient(new HubClientOptions { Url = new Uri($"{node.HubUrl}?name={name}") }));
        await client.Client.StartAsync().Within();
        return client;
    }
}
