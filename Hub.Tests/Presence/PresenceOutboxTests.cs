using Hub.Server.Presence;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Hub.Tests.Presence;

/// <summary>
/// A forget in Redis is steps in several slots: the connection's record moves to its partition's
/// outbox, then it leaves its groups and its user. A forget stopped after the first step (its node
/// died, or Redis failed it) is finished later, by its retry or by a sweeper, and presence ends as
/// if it had not stopped.
/// </summary>
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class PresenceOutboxTests(Topology topology) : ClusterTest(topology)
{
    private const string Id = "conn-outbox";

    [Test]
    public async Task AForgetStoppedAfterItsFirstStep_IsFinishedByItsRetry()
    {
        var store = await RegisteredInTwoGroupsAsync();
        await FirstStepOnlyAsync(DateTimeOffset.UtcNow);

        var groups = await store.RemoveConnectionAsync(Id, CancellationToken.None).Within();

        Assert.That(groups, Is.EquivalentTo(new[] { "room", "lobby" }));
        await AssertGoneAsync(store);
    }

    [Test]
    public async Task AForgetStoppedAfterItsFirstStep_IsFinishedByASweep_OnceOverdue()
    {
        // The nodes' own sweepers look for overdue entries once, at their first sweep (a second
        // after start), then not for a minute: past that, this test is the only one to look.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var store = await RegisteredInTwoGroupsAsync();
        await FirstStepOnlyAsync(DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5));
        Assert.That(await store.FinishOverdueAsync(TimeSpan.FromSeconds(10), 100, CancellationToken.None).Within(), Is.Empty, "not overdue yet");
        Assert.That((await store.GetSnapshotAsync("room", CancellationToken.None).Within()).Connections, Is.EqualTo(1), "still in its group meanwhile");

        await FirstStepOnlyAsync(DateTimeOffset.UtcNow - TimeSpan.FromSeconds(11));
        var departed = await store.FinishOverdueAsync(TimeSpan.FromSeconds(10), 100, CancellationToken.None).Within();
        var again = await store.FinishOverdueAsync(TimeSpan.FromSeconds(10), 100, CancellationToken.None).Within();

        Assert.Multiple(() =>
        {
            Assert.That(departed.Select(d => (d.ConnectionId, d.User)), Is.EqualTo(new[] { (Id, (string?)"alice") }));
            Assert.That(departed.Single().Groups, Is.EquivalentTo(new[] { "room", "lobby" }));
            Assert.That(again, Is.Empty, "finished once");
        });
        await AssertGoneAsync(store);
    }

    private async Task<IPresenceStore> RegisteredInTwoGroupsAsync()
    {
        var store = NodeA.Services.GetRequiredService<IPresenceStore>();
        var entry = new ConnectionEntry(Id, "alice", NodeA.NodeId);
        await store.AddConnectionAsync(entry, CancellationToken.None).Within();
        await store.JoinAsync("room", entry, 0, CancellationToken.None).Within();
        await store.JoinAsync("lobby", entry, 0, CancellationToken.None).Within();
        return store;
    }

    // The forget's first step alone, as a node that died right after it would have left it; run
    // again, it only re-stamps the outbox entry (the record is there no more).
    private async Task FirstStepOnlyAsync(DateTimeOffset at)
    {
        var partition = RedisKeys.PartitionOfConnection(Id);
        var redis = NodeA.Services.GetRequiredService<RedisConnection>();
        await redis.Database.ScriptEvaluateAsync(RedisScripts.ConnectionForget, ScriptKeys.ConnectionForget(Id),
            [Id, RedisKeys.NodeSetPrefix(partition), RedisKeys.GroupSetPrefix(partition), RedisKeys.GroupSetSuffix, at.ToUnixTimeMilliseconds()]).Within();
    }

    private static async Task AssertGoneAsync(IPresenceStore store)
    {
        var room = await store.GetSnapshotAsync("room", CancellationToken.None).Within();
        var hub = await store.GetSnapshotAsync(null, CancellationToken.None).Within();
        Assert.Multiple(() =>
        {
            Assert.That((room.Connections, room.UserCount), Is.EqualTo((0L, 0L)));
            Assert.That(hub.Users, Does.Not.Contain("alice"));
            Assert.That(hub.Connections, Is.EqualTo(0));
        });
    }
}
