using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Recovery;

/// <summary>A stream quiet for longer than Hub:History:Ttl no longer holds its messages, on one node as in Redis.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class HistoryExpiryTests(Topology topology) : ClusterTest(topology)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:History:Ttl"] = "00:00:01",
    };

    // Redis expires the stream's keys on its own clock; one node's history, on the node's.
    protected override bool OnFakeTime(string nodeId) => Topology == Topology.InMemory;

    [Test]
    public async Task AfterTheStreamWasQuietForTheTtl_ResumeIsNotRecovered_ButThePositionIsKept()
    {
        var client = await ConnectAsync(NodeA, "alice");
        var first = await client.Client.SendToUserAsync("alice", "one").Within();
        var last = await client.Client.SendToUserAsync("alice", "two").Within();
        await client.Messages.WaitForAsync(m => m.Id == last.Id, "the second message");
        var epoch = client.Messages.Items.Single(m => m.Id == first.Id).Epoch;
        var fresh = await ResumeFromFirstAsync(client, epoch);

        if (Topology == Topology.InMemory)
        {
            Clock.Advance(TimeSpan.FromSeconds(2.5));
        }
        else
        {
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }

        var expired = await ResumeFromFirstAsync(client, epoch);

        Assert.Multiple(() =>
        {
            Assert.That((fresh.Recovered, fresh.Missed), Is.EqualTo((true, 1)), "within the TTL the gap is replayed");
            Assert.That((expired.Recovered, expired.Missed), Is.EqualTo((false, 0)), "after it, the messages are gone");
            Assert.That((expired.Epoch, expired.Offset), Is.EqualTo((epoch, last.Offset)), "the position outlives the messages");
        });
    }

    private static async Task<StreamResumeResult> ResumeFromFirstAsync(TestClient client, string epoch)
    {
        var result = await client.Client.ResumeAsync(new ResumeRequest
        {
            Streams = [new StreamPosition { Stream = "user:alice", Epoch = epoch, Offset = 1 }],
        }).Within();
        return result.Streams.Single();
    }
}
