using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
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

        Assert.Multiple(() =>
        {
            Assert.That(hub.Group, Is.Null);
            Assert.That(hub.Connections, Is.EqualTo(3));
            Assert.That(hub.UserCount, Is.EqualTo(2));
            Assert.That(hub.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
            Assert.That(hub.Nodes.Sum(n => n.Connections), Is.EqualTo(3));
            Assert.That(room.Group, Is.EqualTo("room"));
            Assert.That(room.Connections, Is.EqualTo(2));
            Assert.That(room.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
        });
    }

    [Test]
    public async Task GetPresence_OfABadGroupName_Is400()
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/api/v1/groups/{new string('g', 129)}/presence");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "129 characters; the limit is 128");
    }
}
