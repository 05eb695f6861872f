using System.Net;
using Hub.Client;
using Hub.Tests.Api;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Presence;

/// <summary>
/// A join or leave that fails after presence changed: here Redis refuses the nodes' PUBLISH (an
/// ACL without it) while presence's own scripts still run, so the step after presence (the bus
/// command or the event) fails. The caller is told it failed; presence must say the same, and
/// once publishing works again a retry must do it afresh, its event included.
/// </summary>
public sealed class PartialMembershipChangeTests
{
    private const string RedisUser = "hub-node";
    private const string RedisPassword = "partial-join-secret";

    [Test]
    public async Task AHubJoinThatFailsAfterPresenceTookIt_IsUndone_AndARetryJoinsWithMemberJoined()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await StartAsync(redis);
        await using var member = await ConnectAsync(cluster.NodeB, "bob");
        await using var joiner = await ConnectAsync(cluster.NodeA, "carol");
        await member.Client.JoinAsync("room").Within();

        await AllowPublishAsync(redis, false);
        Assert.ThrowsAsync<HubException>(() => joiner.Client.JoinAsync("room").Within());
        var room = await member.Client.GetPresenceAsync("room").Within();
        Assert.That((room.Connections, room.Users), Is.EqualTo((1L, new[] { "bob" })), "the failed join is not in presence");

        await AllowPublishAsync(redis, true);
        await joiner.Client.JoinAsync("room").Within();
        await member.Joined.WaitForAsync(e => e.ConnectionId == joiner.ConnectionId && e.Group == "room", "MemberJoined for the retried join");
        var sent = await member.Client.SendToGroupAsync("room", "for both").Within();
        await joiner.Messages.WaitForAsync(m => m.Id == sent.Id, "the group's message on the joined connection");
        Assert.That((await member.Client.GetPresenceAsync("room").Within()).Users, Is.EqualTo(new[] { "bob", "carol" }));
    }

    [Test]
    public async Task AnApiPutThatFailsAfterPresenceTookIt_IsUndone_AndARetryJoinsWithMemberJoined()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await StartAsync(redis);
        await using var member = await ConnectAsync(cluster.NodeB, "bob");
        await using var added = await ConnectAsync(cluster.NodeB, "carol");
        await using var api = new ApiClient(cluster.NodeA);
        await member.Client.JoinAsync("room").Within();

        await AllowPublishAsync(redis, false);
        using (var failed = await api.SendAsync(HttpMethod.Put, $"/api/v1/groups/room/connections/{added.ConnectionId}").Within())
        {
            Assert.That((int)failed.StatusCode, Is.GreaterThanOrEqualTo(500), "the caller is told the PUT failed");
        }

        var room = await api.GetAsync<PresenceSnapshot>("/api/v1/groups/room/presence").Within();
        Assert.That((room.Connections, room.Users), Is.EqualTo((1L, new[] { "bob" })), "the failed PUT is not in presence");

        await AllowPublishAsync(redis, true);
        using (var retried = await api.SendAsync(HttpMethod.Put, $"/api/v1/groups/room/connections/{added.ConnectionId}").Within())
        {
            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        await member.Joined.WaitForAsync(e => e.ConnectionId == added.ConnectionId && e.Group == "room", "MemberJoined for the retried PUT");
        var sent = await member.Client.SendToGroupAsync("room", "for both").Within();
        await added.Messages.WaitForAsync(m => m.Id == sent.Id, "the group's message on the added connection");
    }

    [Test]
    public async Task AHubLeaveThatFailsAfterPresenceLetGo_IsUndone_AndARetryLeavesWithMemberLeft()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await StartAsync(redis);
        await using var member = await ConnectAsync(cluster.NodeB, "bob");
        await using var leaver = await ConnectAsync(cluster.NodeA, "carol");
        await member.Client.JoinAsync("room").Within();
        await leaver.Client.JoinAsync("room").Within();

        await AllowPublishAsync(redis, false);
        Assert.ThrowsAsync<HubException>(() => leaver.Client.LeaveAsync("room").Within());
        var room = await member.Client.GetPresenceAsync("room").Within();
        Assert.That((room.Connections, room.Users), Is.EqualTo((2L, new[] { "bob", "carol" })), "the failed leave is not in presence");

        await AllowPublishAsync(redis, true);
        var stillMember = await member.Client.SendToGroupAsync("room", "still for both").Within();
        await leaver.Messages.WaitForAsync(m => m.Id == stillMember.Id, "the group's message while the leave has not happened");
        await leaver.Client.LeaveAsync("room").Within();
        await member.Left.WaitForAsync(e => e.ConnectionId == leaver.ConnectionId && e.Group == "room", "MemberLeft for the retried leave");
        Assert.That((await member.Client.GetPresenceAsync("room").Within()).Users, Is.EqualTo(new[] { "bob" }));
    }

    private static async Task<TestClient> ConnectAsync(HubNode node, string user)
    {
        var client = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, user) });
        try
        {
            await client.Client.StartAsync().Within();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static async Task<Cluster> StartAsync(RedisServer redis)
    {
        await redis.Database.ExecuteAsync("ACL", "SETUSER", RedisUser, "on", ">" + RedisPassword, "~*", "&*", "+@all").Within();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = $"{redis.Configuration},user={RedisUser},password={RedisPassword}",
            ["Hub:Api:Keys:0"] = ApiClient.Key,
        };
        var nodeA = await TestNode.StartAsync("node-a", settings);
        try
        {
            return new Cluster(nodeA, await TestNode.StartAsync("node-b", settings));
        }
        catch
        {
            await nodeA.DisposeAsync();
            throw;
        }
    }

    // ACL changes apply to the nodes' open Redis connections at once.
    private static Task AllowPublishAsync(RedisServer redis, bool allowed) =>
        redis.Database.ExecuteAsync("ACL", "SETUSER", RedisUser, allowed ? "+publish" : "-publish").Within();

    private sealed record Cluster(TestNode NodeA, TestNode NodeB) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await NodeB.DisposeAsync();
            await NodeA.DisposeAsync();
        }
    }
}
