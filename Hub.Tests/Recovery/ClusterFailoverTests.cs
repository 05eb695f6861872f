using Hub.Server.Redis;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Recovery;

/// <summary>
/// A Redis Cluster failing over under a steady publisher: the master holding the group's stream,
/// the one holding bob's user stream, and the one serving the bus channel's slot (every node's
/// subscription) are killed in turn, as in a crash. Sends fail fast while a slot has no master and
/// are taken again soon after; every accepted message reaches every receiver once, and no client
/// reconnects: the promoted replicas hold every accepted message (<c>Hub:History:WaitReplicas=1</c>),
/// and what a node missed while its subscription moved comes back from history.
/// </summary>
public sealed class ClusterFailoverTests
{
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
}
