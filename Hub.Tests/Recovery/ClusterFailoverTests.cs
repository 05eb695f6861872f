using Hub.Client;
using Hub.Server.History;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Recovery;

/// <summary>
/// A Redis Cluster failing over under a steady publisher: the master holding the group's stream,
/// the one holding bob's user stream, and the one serving the bus channel's slot (every node's
/// subscription) are killed in turn, as in a crash. Sends fail fast while a slot has no master and
/// are taken again soon after; every accepted message reaches every receiver once, and no client
/// reconnects: the promoted replicas hold every accepted message (<c>Hub:History:WaitReplicas=1</c>),
/// and what a node missed while its subscription moved comes back from history. And with interest
/// routing and no wait for replicas, a promoted replica that lacks the last writes: the stream's
/// owner changed, so it goes on under a new epoch (its lineage), and a receiver that had seen the
/// lost writes is told its stream lost messages.
/// </summary>
public sealed class ClusterFailoverTests
{
    private static readonly TimeSpan ReplicaLag = TimeSpan.FromMilliseconds(400);

    private RedisCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartCluster() => _cluster = await RedisCluster.StartAsync();

    [OneTimeTearDown]
    public async Task StopCluster() => await _cluster.DisposeAsync();

    [Test]
    public async Task WhenTheMastersOfTheStreamsAndOfTheBusAreKilled_SendsFailFast_AndEveryAcceptedMessageIsDeliveredOnce_WithoutReconnects()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = _cluster.Configuration,
            ["Hub:History:WaitReplicas"] = "1",
            ["Hub:History:WaitTimeout"] = "00:00:00.5",
        };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await nodeA.WaitUntilReadyAsync();
        await nodeB.WaitUntilReadyAsync();
        await using var audience = await Audience.StartAsync(nodeA, nodeB);
        // After each kill, sends to the stream whose master died (any send, for the bus) must be taken again.
        (string What, string? Stream, int Slot)[] masters =
        [
            ("the group's stream", Audience.Group, await _cluster.SlotOfAsync(RedisKeys.StreamMeta(Audience.Group))),
            ("bob's user stream", Audience.User, await _cluster.SlotOfAsync(RedisKeys.StreamMeta(Audience.User))),
            ("the bus channel", null, await _cluster.SlotOfAsync(RedisKeys.Bus)),
        ];

        await using var publisher = audience.Publish();
        var outages = new List<(string What, TimeSpan Killed, TimeSpan TakenAgain)>();
        try
        {
            foreach (var (what, stream, slot) in masters)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                var killedAt = await _cluster.FailOverAsync(slot, publisher.Clock);
                var takenAgain = await publisher.WaitForAcceptanceAsync($"sends are taken again after the master of {what} was killed", TimeSpan.FromSeconds(20), killedAt, stream);
                outages.Add((what, killedAt, killedAt + takenAgain));
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        finally
        {
            await publisher.StopAsync();
            TestContext.Out.WriteLine($"accepted {publisher.Accepted.Count}, refused {publisher.Refused.Count}; " +
                string.Join("; ", outages.Select(o => $"{o.What}: killed at {o.Killed}, taken again {o.TakenAgain - o.Killed} later")));
            foreach (var refusals in publisher.Refused.GroupBy(r => (r.Stream, r.Reason)))
            {
                TestContext.Out.WriteLine($"refused {refusals.Count()}x from {refusals.First().At} to {refusals.Last().At} (longest {refusals.Max(r => r.Took)}): {refusals.Key}");
            }
        }

        var receipts = await audience.EndAsync();
        var accepted = publisher.Accepted.Select(a => a.Result).ToList();

        var history = new[] { await Receipt.OfHistoryAsync(nodeA, Audience.Group), await Receipt.OfHistoryAsync(nodeA, Audience.User) };
        Assert.Multiple(() =>
        {
            Assert.That(publisher.Refused.Select(r => r.Took), Has.All.LessThan(TimeSpan.FromSeconds(1)), "sends fail fast during a failover");
            Assert.That(outages.Select(o => o.TakenAgain - o.Killed), Has.All.LessThan(TimeSpan.FromSeconds(15)), "sends are taken again within 15 s");
            Audience.AssertDelivered(accepted, receipts, history);
            Assert.That(receipts.Where(r => r.Reconnects > 0).Select(r => $"{r.Name} ({r.Reconnects})"), Is.Empty,
                "history covers every gap: no client reconnects");
        });
    }

    [Test]
    public async Task WithRouting_WhenTheGroupsMasterFailsOver_AlsoWithoutTheLastWrites_EveryAcceptedMessageIsDeliveredOnce_OrReportedLost()
    {
        await _cluster.FlushAllAsync();
        // No wait for replicas (the default): a master can accept writes its replica never gets.
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = _cluster.Configuration, ["Hub:InterestRouting"] = "true" };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        // The senders' nodes hold no member of the group and, with routing, see none of its
        // messages; each sender takes over at a kill, through a node that never sent to the stream
        // before, so no node that publishes knows the positions the failover lost.
        await using var nodeC = await TestNode.StartAsync("node-c", settings);
        await using var nodeD = await TestNode.StartAsync("node-d", settings);
        foreach (var node in new[] { nodeA, nodeB, nodeC, nodeD })
        {
            await node.WaitUntilReadyAsync();
        }

        await using var audience = await Audience.StartAsync(nodeA, nodeB, alicesNode: nodeC);
        await using var erin = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeD, "erin") });
        await erin.Client.StartAsync().Within();
        var slot = await _cluster.SlotOfAsync(RedisKeys.StreamMeta(Audience.Group));

        await using var publisher = audience.Publish();
        var rounds = new List<(TimeSpan Lag, TimeSpan Killed, TimeSpan TakenAgain)>();
        try
        {
            foreach (var (lag, next) in new[] { (TimeSpan.Zero, erin.Client), (ReplicaLag, audience.Alice.Client) })
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                var killedAt = await _cluster.FailOverAsync(slot, publisher.Clock, lag, () => publisher.SendThrough(next));
                var takenAgain = await publisher.WaitForAcceptanceAsync("sends to the group are taken again after its master was killed", TimeSpan.FromSeconds(20), killedAt, Audience.Group);
                rounds.Add((lag, killedAt, killedAt + takenAgain));
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        finally
        {
            await publisher.StopAsync();
            TestContext.Out.WriteLine($"accepted {publisher.Accepted.Count}, refused {publisher.Refused.Count}; " +
                string.Join("; ", rounds.Select(r => $"replica lagging {r.Lag.TotalMilliseconds} ms: killed at {r.Killed}, taken again {r.TakenAgain - r.Killed} later")));
        }

        var receipts = await audience.EndAsync();
        var accepted = publisher.Accepted.Select(a => a.Result).ToList();
        var group = await nodeA.Services.GetRequiredService<IHistoryStore>().ReadAsync(Audience.Group, 0, 0, CancellationToken.None).Within();
        TestContext.Out.WriteLine($"the group's epoch {group.Epoch} at {group.Offset}, lineage [{string.Join(", ", group.Lineage)}]");
        foreach (var receipt in receipts)
        {
            var seen = receipt.Messages.Where(m => m.Stream == Audience.Group).GroupBy(m => m.Epoch).Select(e => $"{e.Key}: {e.Min(m => m.Offset)}-{e.Max(m => m.Offset)}");
            TestContext.Out.WriteLine($"{receipt.Name} saw the group as {string.Join(", ", seen)}");
        }

        // The lagging round lost writes that receivers had been handed (else it proves nothing).
        var lostWrites = group.Lineage.Count == 2
            ? receipts.SelectMany(r => r.Messages).Count(m => m.Stream == Audience.Group && m.Epoch == group.Lineage[1].Epoch && m.Offset > group.Lineage[1].LastOffset)
            : 0;
        var history = new[] { await Receipt.OfHistoryAsync(nodeA, Audience.Group), await Receipt.OfHistoryAsync(nodeA, Audience.User) };
        Assert.Multiple(() =>
        {
            Assert.That(group.Lineage, Has.Count.EqualTo(2), "each failover continued the group's stream under a new epoch");
            Assert.That(lostWrites, Is.GreaterThan(0), "the promoted replica lacked writes that receivers had");
            Assert.That(rounds.Select(r => r.TakenAgain - r.Killed), Has.All.LessThan(TimeSpan.FromSeconds(15)), "sends are taken again within 15 s");
            Audience.AssertDelivered(accepted, publisher.AcceptedBySender(), receipts, history);
        });
    }
}
