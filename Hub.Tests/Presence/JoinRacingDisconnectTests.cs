using Hub.Client;
using Hub.Server;
using Hub.Server.Presence;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Hub.Tests.Presence;

/// <summary>
/// A join presence takes while its connection closes. In Redis a join writes the connection's side
/// and the group's side separately, so a departure can run between them: it takes the connection
/// and the groups its side lists out of presence, and the group side of the join lands after.
/// The node plays that interleaving exactly (a store that writes the group side once more after
/// the departure); the join must not leave a member that no connection will ever end.
/// </summary>
public sealed class JoinRacingDisconnectTests() : ClusterTest(Topology.Redis)
{
    private const string Group = "racing";

    [Test]
    public async Task AJoinWhoseConnectionClosedMeanwhile_LeavesNoMemberBehind()
    {
        LateGroupSide? store = null;
        var node = Own(await TestNode.StartAsync("node-racing", new Dictionary<string, string?> { ["Hub:Redis"] = Redis!.Configuration }, app: (args, configure) =>
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
        var watcher = await ConnectAsync(NodeA, "watcher");
        var leaving = Own(new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, "leaving") }));
        await leaving.Client.StartAsync().Within();

        var join = leaving.Client.JoinAsync(Group);
        await store!.JoinTaken.Task.Within();
        await leaving.Client.StopAsync().Within();
        await store.GroupSideWrittenLate.Task.Within();
        Assert.CatchAsync(() => join.Within(), "the join's connection is gone");

        // The join's undo, if any, comes after the late write: wait for the presence it leaves.
        await Bounded.UntilAsync(async () => (await watcher.Client.GetPresenceAsync(Group)).Connections == 0,
            "the group without the closed connection");
        await Task.Delay(500);
        var room = await watcher.Client.GetPresenceAsync(Group).Within();
        Assert.That((room.Connections, room.Users), Is.EqualTo((0L, Array.Empty<string>())), "no member outlives its connection");
    }

    /// <summary>
    /// Presence in Redis, except that a join of <see cref="Group"/> waits until the connection's
    /// departure has run and then writes its group side again: the group side landing late.
    /// </summary>
    private sealed class LateGroupSide(RedisPresenceStore inner, RedisConnection redis) : IPresenceStore
    {
        private readonly TaskCompletionSource _forgotten = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            await _forgotten.Task.WaitAsync(Bounded.Default, CancellationToken.None);
            await redis.Database.ScriptEvaluateAsync(RedisScripts.GroupJoin, ScriptKeys.Group(group),
                [connection.ConnectionId, connection.Node, connection.User ?? ""], CommandFlags.DemandMaster);
            GroupSideWrittenLate.TrySetResult();
            return outcome;
        }

        public async Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken)
        {
            var groups = await inner.RemoveConnectionAsync(connectionId, cancellationToken);
            if (groups.Contains(Group))
            {
                _forgotten.TrySetResult();
            }

            return groups;
        }

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
