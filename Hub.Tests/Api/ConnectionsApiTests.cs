using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class ConnectionsApiTests(Topology topology) : ApiTest(topology)
{
    [Test]
    public async Task Delete_ClosesAConnectionOnAnotherNode_AndTheClientDoesNotReconnect()
    {
        var target = await ConnectAsync(NodeB, "bob");
        var bystander = await ConnectAsync(NodeB);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnecting = 0;
        target.Client.Closed += error => closed.TrySetResult(error);
        target.Client.Reconnecting += _ => Interlocked.Increment(ref reconnecting);
        var id = target.ConnectionId;

        using var response = await Api.SendAsync(HttpMethod.Delete, $"/api/v1/connections/{id}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        // A client told to reconnect would raise Reconnecting and, retrying forever, never Closed.
        var error = await closed.Task.Within();
        Assert.That(error?.Message, Does.Contain("closed by the server"));
        Assert.That(reconnecting, Is.Zero);
        Assert.That(target.Client.State, Is.EqualTo(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Disconnected));
        await Bounded.UntilAsync(async () => (await Api.GetAsync<PresenceSnapshot>("/api/v1/presence")).Connections == 1,
            "presence forgets the closed connection");
        var after = await bystander.Client.SendAsync("others carry on").Within();
        await bystander.Messages.WaitForAsync(m => m.Id == after.Id, "the bystander's own broadcast");
    }

    [Test]
    public async Task Delete_OfAnUnknownConnection_Is404()
    {
        using var response = await Api.SendAsync(HttpMethod.Delete, "/api/v1/connections/no-such-connection");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "No connection with id 'no-such-connection'");
    }
}
