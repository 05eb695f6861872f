using System.Text.Json;
using ChatApp;
using Hub.Client;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Handlers;

/// <summary>
/// The application's handler decides for raw TCP clients as for the others: asked when the
/// connection opens (there is no negotiate), and on every message and call. Two nodes sharing
/// Redis, users from their tokens.
/// </summary>
public sealed class ApplicationHandlerOverTcpTests() : ClusterTest(Topology.Redis)
{
    protected override AppBuilder? App => ChatServer.Build;

    protected override IReadOnlyDictionary<string, string?> Settings => TestTokens.NodeSettings();

    [Test]
    public async Task ATcpClient_GetsTheHandlersGroups_AndItsMessagesAndCallsAreTheHandlers_ToDecide()
    {
        var walt = await ConnectAsync(NodeA, "walt");
        var port = Ports.Free();
        Own(await StartNodeAsync("node-tcp", extra: new Dictionary<string, string?> { ["Hub:Tcp:Port"] = port.ToString() }));
        var tina = await ConnectAsync(new Uri($"tcp://127.0.0.1:{port}"), "tina");

        var joined = await walt.Joined.WaitForAsync(e => e.ConnectionId == tina.ConnectionId, "tina joining the lobby");
        var refused = Assert.ThrowsAsync<HubException>(() => tina.Client.SendToGroupAsync(ChatHandler.Lobby, "spam, spam, spam").Within());
        var shout = await tina.Client.PublishAsync("group:lobby", "shout", "over tcp").Within();
        var received = await walt.Messages.WaitForAsync(m => m.Id == shout.Id, "tina's shout");
        var me = await tina.Client.CallAsync<JsonElement>("whoami", null).Within();

        Assert.Multiple(() =>
        {
            Assert.That((joined.Group, joined.User), Is.EqualTo((ChatHandler.Lobby, "tina")));
            Assert.That(refused!.Message, Does.EndWith("No spam, please."));
            Assert.That((received.Event, received.Text, received.User), Is.EqualTo(("message", "OVER TCP", "tina")));
            Assert.That(me.GetProperty("user").GetString(), Is.EqualTo("tina"));
        });
    }

    private Task<TestClient> ConnectAsync(HubNode node, string user) => ConnectAsync(node.HubUrl, user);

    private async Task<TestClient> ConnectAsync(Uri url, string user)
    {
        var client = Own(new TestClient(new HubClientOptions { Url = url, AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.Create(user)) }));
        await client.Client.StartAsync().Within();
        return client;
    }
}
