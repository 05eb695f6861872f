using System.Diagnostics;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Hub.Tests.Recovery;

namespace Hub.Tests.Presence;

/// <summary>
/// Nodes that die without a clean shutdown (SIGKILL of a real process), with the default
/// presence settings: heartbeat every 5 s, connections forgotten within 15 s of the death.
/// </summary>
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class DeadNodeTests(Topology topology) : ClusterTest(topology)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Test]
    public async Task AKilledNode_IsForgottenWithin15Seconds_AndTheMembersOfItsGroupsGetMemberLeft()
    {
        var doomed = await StartNodeProcessAsync("node-doomed");
        var bob = await ConnectStrandedAsync(doomed, "bob");
        var carol = await ConnectStrandedAsync(doomed, "carol");
        var member = await ConnectAsync(NodeA, "alice");
        await member.Client.JoinAsync("room").Within();
        string[] doomedIds = [bob.ConnectionId, carol.ConnectionId];
        var before = await member.Client.GetPresenceAsync("room").Within();
        Assert.That(before.Connections, Is.EqualTo(3));

        var clock = Stopwatch.StartNew();
        await doomed.KillAsync();
        foreach (var id in doomedIds)
        {
            await member.Left.WaitForAsync(e => e.ConnectionId == id, $"MemberLeft for {id}", Bound + TimeSpan.FromSeconds(5));
        }

        var forgottenAfter = clock.Elapsed;
        var room = await member.Client.GetPresenceAsync("room").Within();
        var hub = await member.Client.GetPresenceAsync().Within();
        Assert.Multiple(() =>
        {
            Assert.That(forgottenAfter, Is.LessThan(Bound), "forgotten within Hub:Presence:NodeTimeoutSeconds of the death");
            Assert.That((room.Connections, room.UserCount), Is.EqualTo((1L, 1L)));
            Assert.That(hub.Nodes.Select(n => n.Id), Is.EqualTo(new[] { "node-a", "node-b" }));
            Assert.That(hub.Users, Is.EqualTo(new[] { "alice" }));
            Assert.That(member.Left.Items.Select(e => (e.Group, e.User)), Is.EquivalentTo(new[] { ("room", "bob"), ("room", "carol") }));
        });
    }

    [Test]
    public async Task ANodeRestartedUnderTheSameId_ClearsWhatItsPreviousRunLeft_AtOnce()
    {
        var first = await StartNodeProcessAsync("node-x");
        var dave = await ConnectStrandedAsync(first, "dave");
        var member = await ConnectAsync(NodeA);
        await member.Client.JoinAsync("room").Within();
        var daveId = dave.ConnectionId;

        var clock = Stopwatch.StartNew();
        await first.KillAsync();
        await StartNodeProcessAsync("node-x");
        await member.Left.WaitForAsync(e => e.ConnectionId == daveId, "MemberLeft for the previous run's connection");

        // The restarted node heartbeats under the same id, so no other node would ever count it
        // dead: only its own start-up cleared the leftovers, well before the dead-node bound.
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        var room = await member.Client.GetPresenceAsync("room").Within();
        Assert.That(room.Connections, Is.EqualTo(1));
    }

    /// <summary>A client on one node only, joined to "room", that does not come back elsewhere when that node dies.</summary>
    private async Task<TestClient> ConnectStrandedAsync(NodeProcess node, string user)
    {
        var client = Own(new TestClient(new HubClientOptions
        {
            Url = TestClient.HubUrl(node, user),
            ReconnectPolicy = new NodeDeathRecoveryTests.FixedDelay(TimeSpan.FromMinutes(1)),
        }));
        await client.Client.StartAsync().Within();
        await client.Client.JoinAsync("room").Within();
        return client;
    }
}
