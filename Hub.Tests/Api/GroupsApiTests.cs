using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class GroupsApiTests(Topology topology) : ApiTest(topology)
{
    [Test]
    public async Task Put_AddsAConnectionOnAnotherNode_ItGetsTheGroupsMessages_AndMembersGetMemberJoined()
    {
        var member = await ConnectAsync(NodeA, "alice");
        await member.Client.JoinAsync("room").Within();
        var added = await ConnectAsync(NodeB, "bob");

        using var response = await Api.SendAsync(HttpMethod.Put, $"/api/v1/groups/room/connections/{added.ConnectionId}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var joined = await member.Joined.WaitForAsync(e => e.ConnectionId == added.ConnectionId, "MemberJoined for the added connection");
        Assert.That(joined.Group, Is.EqualTo("room"));
        Assert.That(joined.User, Is.EqualTo("bob"));
        // Published after the 204, so after the command on the bus: it must reach the added connection.
        var result = await Api.SendTextAsync("/api/v1/groups/room/messages", "welcome");
        await added.Messages.WaitForAsync(m => m.Id == result.Id, "the group message after the PUT");
        var presence = await Api.GetAsync<PresenceSnapshot>("/api/v1/groups/room/presence");
        Assert.That(presence.Connections, Is.EqualTo(2));
    }

    [Test]
    public async Task Delete_RemovesAConnectionOnAnotherNode_ItGetsNoMoreOfTheGroupsMessages_AndMembersGetMemberLeft()
    {
        var member = await ConnectAsync(NodeA);
        await member.Client.JoinAsync("room").Within();
        var removed = await ConnectAsync(NodeB, "bob");
        await removed.Client.JoinAsync("room").Within();

        using var response = await Api.SendAsync(HttpMethod.Delete, $"/api/v1/groups/room/connections/{removed.ConnectionId}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var left = await member.Left.WaitForAsync(e => e.ConnectionId == removed.ConnectionId, "MemberLeft for the removed connection");
        Assert.That(left.User, Is.EqualTo("bob"));
        var result = await Api.SendTextAsync("/api/v1/groups/room/messages", "not for bob");
        await DrainAsync(member, member, removed);
        Assert.That(removed.Messages.Items.Any(m => m.Id == result.Id), Is.False);
        await member.Messages.WaitForAsync(m => m.Id == result.Id, "the group message to the remaining member");
    }

    [Test]
    public async Task Put_OfAMemberAlready_SucceedsWithoutASecondMemberJoined()
    {
        var member = await ConnectAsync(NodeA);
        await member.Client.JoinAsync("room").Within();
        var other = await ConnectAsync(NodeB);
        await other.Client.JoinAsync("room").Within();
        await member.Joined.WaitForAsync(e => e.ConnectionId == other.ConnectionId, "the first MemberJoined");

        using var response = await Api.SendAsync(HttpMethod.Put, $"/api/v1/groups/room/connections/{other.ConnectionId}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await DrainAsync(other, member);
        Assert.That(member.Joined.Items.Count(e => e.ConnectionId == other.ConnectionId), Is.EqualTo(1));
    }

    [Test]
    public async Task PutOrDelete_OfAnUnknownConnection_Is404([Values("PUT", "DELETE")] string method)
    {
        using var response = await Api.SendAsync(new HttpMethod(method), "/api/v1/groups/room/connections/no-such-connection");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "No connection with id 'no-such-connection'");
    }

    [Test]
    public async Task PutOrDelete_WithABadGroupName_Is400([Values("PUT", "DELETE")] string method)
    {
        var client = await ConnectAsync(NodeB);

        using var response = await Api.SendAsync(new HttpMethod(method), $"/api/v1/groups/{new string('g', 129)}/connections/{client.ConnectionId}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "129 characters; the limit is 128");
    }
}
