using System.Collections.Concurrent;
using System.Diagnostics;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Hub.Tests.Recovery;

namespace Hub.Tests.Operations;

/// <summary>Real node processes, really killed or terminated, under clients and a steady publisher.</summary>
public sealed class FaultTests() : ClusterTest(Topology.Redis)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Shutdown:DrainSeconds"] = "3",
    };

    [Test]
    public async Task AfterSigkill_EveryClientIsBackOnAnotherNodeWithin5Seconds_AndMissesNothing()
    {
        var doomed = await StartNodeProcessAsync("node-doomed");
        var (clients, moved, clock) = await ConnectClientsAsync(doomed, 5);
        var sender = await ConnectAsync(NodeA);

        var publishing = PublishAsync(sender, 100);
        clock.Start();
        await doomed.KillAsync();
        var sent = await publishing;
        foreach (var client in clients)
        {
            await client.Reconnected.WaitForCountAsync(1, "the reconnect after the kill");
        }

        var slowest = moved.Values.Max();
        await ExpectEveryMessageOnceInOrderAsync(clients, sent);
        Assert.That(slowest, Is.LessThan(TimeSpan.FromSeconds(5)), "every client back within 5 s of the kill");
    }

    [Test]
    public async Task AfterSigterm_TheNodeDrainsItsClientsOverTheDrainTime_Exits_AndNothingIsLost()
    {
        var stopping = await StartNodeProcessAsync("node-stopping");
        var (clients, moved, clock) = await ConnectClientsAsync(stopping, 6);
        var sender = await ConnectAsync(NodeA);

        var publishing = PublishAsync(sender, 150);
        clock.Start();
        stopping.Terminate();
        var exitCode = await stopping.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var sent = await publishing;
        foreach (var client in clients)
        {
            await client.Reconnected.WaitForCountAsync(1, "the reconnect after the drain");
        }

        var times = moved.Values.Order().ToList();
        await ExpectEveryMessageOnceInOrderAsync(clients, sent);
        var presence = await sender.Client.GetPresenceAsync().Within();
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, "a clean exit after the drain");
            Assert.That(times[^1] - times[0], Is.GreaterThan(TimeSpan.FromSeconds(1.5)), "closes spread over the 3 s drain");
            Assert.That(presence.Nodes.Select(n => n.Id), Is.EquivalentTo(new[] { "node-a", "node-b" }), "the stopped node signed off");
        });
    }

    private async Task<(List<TestClient> Clients, ConcurrentDictionary<int, TimeSpan> Moved, Stopwatch Clock)> ConnectClientsAsync(NodeProcess node, int count)
    {
        var moved = new ConcurrentDictionary<int, TimeSpan>();
        var clock = new Stopwatch();
        var clients = new List<TestClient>();
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var client = Own(new TestClient(new HubClientOptions { Urls = [TestClient.HubUrl(node, $"user-{i}"), TestClient.HubUrl(NodeA, $"user-{i}")] }));
            client.Client.Reconnected += _ => moved.TryAdd(index, clock.Elapsed);
            await client.Client.StartAsync().Within();
            await client.Client.JoinAsync("room").Within();
            clients.Add(client);
        }

        return (clients, moved, clock);
    }

    /// <summary>Sends to the group every 20 ms; every send is either accepted or fails, and only accepted ones count.</summary>
    private static async Task<List<SendResult>> PublishAsync(TestClient sender, int count)
    {
        var sent = new List<SendResult>(count);
        for (var i = 0; i < count; i++)
        {
            sent.Add(await NodeDeathRecoveryTests.SendAsync(sender, "group", $"steady {i}"));
            await Task.Delay(20);
        }

        return sent;
    }

    private static async Task ExpectEveryMessageOnceInOrderAsync(List<TestClient> clients, List<SendResult> sent)
    {
        foreach (var client in clients)
        {
            await client.Messages.WaitForAsync(m => m.Id == sent[^1].Id, "the last message");
            Assert.That(client.Lost.Items.SelectMany(l => l), Is.Empty, "no stream reported lost");
            var received = client.Messages.Items.Where(m => m.Stream == "group:room").ToList();
            Assert.That(received.Select(m => m.Id), Is.EqualTo(sent.Select(r => r.Id)),
                $"every accepted message once, in order; received offsets {string.Join(",", received.Select(m => $"{m.Epoch}/{m.Offset}"))}");
        }
    }
}
