using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class PresenceApiTests(Topology topology) : ApiTest(topology)
{
    [Test]
    public async Task GetPresence_OfTheHubAndOfAGroup_CountsEveryNode()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");
        await ConnectAsync(NodeB);
        await alice.Client.JoinAsync("room").Within();
        await bob.Client.JoinAsync("room").Within();

        var hub = await Api.GetAsync<PresenceSnapshot>("/api/v1/presence");
        var room = await Api.GetAsync<PresenceSnapshot>("/api/v1/groups/room/presence");

        Assert.That((hub.Group, hub.Connections, hub.UserCount), Is.EqualTo(((string?)null, 3L, 2L)));
        Assert.That(hub.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
        Assert.That(hub.Nodes.Select(n => n.Id), Is.EquivalentTo(IsMultiNode ? ["node-a", "node-b"] : new[] { "node-a" }));
        Assert.That((room.Group, room.Connections, room.UserCount), Is.EqualTo(("room", 2L, 2L)));
    }

    [Test]
    public async Task GetPresence_OfABadGroupName_Is400()
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/api/v1/groups/{new string('g', 129)}/presence");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "129 characters; the limit is 128");
    }
}
