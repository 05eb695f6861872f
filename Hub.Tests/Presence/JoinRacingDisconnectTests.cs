using System.Net;
using Hub.Client;
using Hub.Server;
using Hub.Server.Presence;
using Hub.Server.Redis;
using Hub.Tests.Api;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Hub.Tests.Presence;

/// <summary>
/// A join presence takes while its connection closes. In Redis a join writes the connection's side
/// and the group's side separately, so a departure can run between them: it takes the connection
/// and the groups its side lists out of presence, and the group side of the join lands after.
/// A node plays that interleaving exactly (a store that writes the group side once more after
/// the departure); the join must not leave a member that no connection will ever end, whether the
/// connection joins itself through the hub or the HTTP API adds a connection of another node.
/// </summary>
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class JoinRacingDisconnectTests(Topology topology) : ClusterTest(topology)
{
    private const string Group = "racing";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Api:Keys:0"] = ApiClient.Key,
    };

    [Test]
    public async Task AJoinWhoseConnectionClosedMeanwhile_LeavesNoMemberBehind()
    {
        var (node, store) = await StartRacingNodeAsync();
        var watcher = await ConnectAsync(NodeA, "watcher");
        var leaving = Own(new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, "leaving") }));
        await leaving.Client.StartAsync().Within();

        var join = leaving.Client.JoinAsync(Group);
        await store.JoinTaken.Task.Within();
        await leaving.Client.StopAsync().Within();
        await store.GroupSideWrittenLate.Task.Within();
        Assert.CatchAsync(() => join.Within(), "the join's connection is gone");

        await AssertNoMemberLeftAsync(watcher);
    }

    [Test]
    public async Task AnApiJoinOfAConnectionOnAnotherNode_WhichClosedMeanwhile_FailsAndLeavesNoMemberBehind()
    {
        var (node, store) = await StartRacingNodeAsync();
        var watcher = await ConnectAsync(NodeA, "watcher");
        var leaving = await ConnectAsync(NodeB, "leaving");
        var id = leaving.ConnectionId;
        await using var api = Own(new ApiClient(node));

        var put = api.SendAsync(HttpMethod.Put, $"/api/v1/groups/{Group}/connections/{id}");
        await store.JoinTaken.Task.Within();
        await leaving.Client.StopAsync().Within();
        await store.GroupSideWrittenLate.Task.Within();
        using var response = await put.Within();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the added connection is gone: the join fails, as for one gone before it");
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(id));
        await AssertNoMemberLeftAsync(watcher);
    }

    private async Task<(TestNode Node, LateGroupSide Store)> StartRacingNodeAsync()
    {
        LateGroupSide? store = null;
        var settings = new Dictionary<string, string?>(Settings) { ["Hub:Redis"] = RedisConfiguration };
        var node = Own(await TestNode.StartAsync("node-racing", settings, app: (args, configure) =>
        {
            // Hub's own store registered first, then this one in its place.
            var builder = WebApplication.CreateBuilder(args);
            configure?.Invoke(builder);
            builder.AddRealtimeHub();
            builder.Services.AddSingleton<RedisPresenceStore>();
            builder.Services.AddSingleton<IPresenceStore>(sp => store = new LateGroupSide(sp.GetRequiredService<RedisPresenceStore>(), sp.GetRequiredService<RedisConnection>()));
            var app = builder.Build();
            app.MapRealtimeHub();
            return app;
        }));
        await Bounded.UntilAsync(() => Task.FromResult(store is not null), "the racing node's presence store");
        return (node, store!);
    }

    private static async Task AssertNoMemberLeftAsync(TestClient watcher)
    {
        // The join's undo, if any, comes after the late write: wait for the presence it leaves.
        await Bounded.UntilAsync(async () => (await watcher.Client.GetPresenceAsync(Group)).Connections == 0,
            "the group without the closed connection");
        await Task.Delay(500);
        var room = await watcher.Client.GetPresenceAsync(Group).Within();
        Assert.That((room.Connections, room.Users), Is.EqualTo((0L, Array.Empty<string>())), "no member outlives its connection");
    }

    /// <summary>
    /// Presence in Redis, except that a join of <see cref="Group"/> waits until the connection's
    /// departure has run, on whichever node, and then writes its group side again: the group side
    /// landing late.
    /// </summary>
    private sealed class LateGroupSide(RedisPresenceStore inner, RedisConnection redis) : IPresenceStore
    {
        public TaskCompletionSource JoinTaken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource GroupSideWrittenLate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<JoinOutcome> JoinAsync(string group, ConnectionEntry connection, int maxGroupsPerConnection, CancellationToken cancellationToken)
        {
            var outcome = await inner.JoinAsync(group, connection, maxGroupsPerConnection, cancellationToken);
            if (group != Group)
            {
                return outcome;
            }

            JoinTaken.TrySetResult();
            // The departure took the connection out, then the group side its record listed. (Not
            // Bounded.UntilAsync: this runs in the node, where a timeout fails the join, not the test.)
            var id = connection.ConnectionId;
            var deadline = DateTime.UtcNow + Bounded.Default;
            while (await inner.FindConnectionAsync(id, CancellationToken.None) is not null || await inner.IsMemberAsync(group, id, CancellationToken.None))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("The joining connection did not depart.");
                }

                await Task.Delay(20, CancellationToken.None);
            }

            await redis.Database.ScriptEvaluateAsync(RedisScripts.GroupJoin, ScriptKeys.Group(group),
                [connection.ConnectionId, connection.Node, connection.User ?? ""], CommandFlags.DemandMaster);
            GroupSideWrittenLate.TrySetResult();
            return outcome;
        }

        public Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken) =>
            inner.RemoveConnectionAsync(connectionId, cancellationToken);

        public Task AddConnectionAsync(ConnectionEntry connection, CancellationToken cancellationToken) => inner.AddConnectionAsync(connection, cancellationToken);

        public Task<ConnectionEntry?> FindConnectionAsync(string connectionId, CancellationToken cancellationToken) => inner.FindConnectionAsync(connectionId, cancellationToken);

        public Task<bool> LeaveAsync(string group, string connectionId, CancellationToken cancellationToken) => inner.LeaveAsync(group, connectionId, cancellationToken);

        public Task<bool> IsMemberAsync(string group, string connectionId, CancellationToken cancellationToken) => inner.IsMemberAsync(group, connectionId, cancellationToken);

        public Task<bool> HeartbeatAsync(CancellationToken cancellationToken) => inner.HeartbeatAsync(cancellationToken);

        public Task SignOffAsync(CancellationToken cancellationToken) => inner.SignOffAsync(cancellationToken);

        public Task<IReadOnlyList<string>> FindSilentNodesAsync(DateTimeOffset silentSince, CancellationToken cancellationToken) =>
            inner.FindSilentNodesAsync(silentSince, cancellationToken);

        public Task<IReadOnlyList<DepartedConnection>> PurgeNodeAsync(string node, DateTimeOffset? unlessAliveSince, int batch, CancellationToken cancellationToken) =>
            inner.PurgeNodeAsync(node, unlessAliveSince, batch, cancellationToken);

        public Task<IReadOnlyList<DepartedConnection>> FinishOverdueAsync(TimeSpan overdue, int batch, CancellationToken cancellationToken) =>
            inner.FinishOverdueAsync(overdue, batch, cancellationToken);

        public Task<PresenceSnapshot> GetSnapshotAsync(string? group, CancellationToken cancellationToken) => inner.GetSnapshotAsync(group, cancellationToken);

        public Task<long> CountConnectionsAsync(CancellationToken cancellationToken) => inner.CountConnectionsAsync(cancellationToken);

        public Task<long> CountLiveNodesAsync(CancellationToken cancellationToken) => inner.CountLiveNodesAsync(cancellationToken);
    }
}
