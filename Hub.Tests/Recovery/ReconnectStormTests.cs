using System.Diagnostics;
using Hub.Client;
using Hub.Client.Internal;
using Hub.Tests.Infrastructure;
using Hub.Tests.Limits;

namespace Hub.Tests.Recovery;

/// <summary>
/// The clients of a node that died all come back at once, through a node that admits
/// 3 new connections per second (<c>Hub:Limits:ConnectsPerSecond</c>), on Hub.Client's own
/// reconnect policy: the node lets them in at its rate, the rest wait as it asked and try again,
/// and every one resumes with nothing lost.
/// </summary>
public sealed class ReconnectStormTests() : ClusterTest(Topology.Redis)
{
    private const int Clients = 12;
    private const int ConnectsPerSecond = 3;
    private static readonly TimeSpan StormTimeout = TimeSpan.FromSeconds(40);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Limits:ConnectsPerSecond"] = ConnectsPerSecond.ToString(),
    };

    [Test]
    public async Task TheClientsOfADeadNode_ComeBackAtTheRateTheSurvivorAdmits_EveryOneResumed_NothingLost()
    {
        var doomed = await StartNodeProcessAsync("node-doomed", new Dictionary<string, string?> { ["Hub:Limits:ConnectsPerSecond"] = "0" });
        var members = new List<TestClient>();
        for (var i = 0; i < Clients; i++)
        {
            var member = Own(new TestClient(new HubClientOptions
            {
                Urls = [TestClient.HubUrl(doomed, $"member-{i}"), TestClient.HubUrl(NodeA, $"member-{i}")],
                ReconnectPolicy = JitteredBackoffPolicy.Default,
            }));
            await member.Client.StartAsync().Within();
            await member.Client.JoinAsync("room").Within();
            members.Add(member);
        }

        var sender = await ConnectAsync(NodeB);
        var before = await sender.Client.SendToGroupAsync("room", "before").Within();
        foreach (var member in members)
        {
            await member.Messages.WaitForAsync(m => m.Id == before.Id, "the message before the kill");
        }

        var killed = Stopwatch.StartNew();
        await doomed.KillAsync();
        var sent = new List<SendResult> { before };
        for (var i = 0; i < 30; i++)
        {
            sent.Add(await sender.Client.SendToGroupAsync("room", $"meanwhile {i}").Within());
        }

        foreach (var member in members)
        {
            await member.Reconnected.WaitForCountAsync(1, "every client back through node A", StormTimeout);
        }

        var allBack = killed.Elapsed;
        sent.Add(await sender.Client.SendToGroupAsync("room", "after").Within());
        foreach (var member in members)
        {
            await member.Messages.WaitForAsync(m => m.Id == sent[^1].Id, "the message after the storm");
        }

        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        var metrics = await http.GetStringAsync("/metrics").Within();
        var refused = ConnectRateTests.CountOf(metrics, "connect_rate");
        Assert.Multiple(() =>
        {
            foreach (var member in members)
            {
                Assert.That(member.Messages.Items.Where(m => m.Stream == before.Stream).Select(m => m.Id), Is.EqualTo(sent.Select(s => s.Id)),
                    "every message of the group exactly once, in order");
                Assert.That(member.Lost.Items, Is.Empty);
            }

            // 12 at 3 per second with 3 at once: the last cannot be in before 3 s.
            Assert.That(allBack, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds((Clients - ConnectsPerSecond) / (double)ConnectsPerSecond)),
                "node A admitted them at its rate");
            Assert.That(refused, Is.GreaterThan(0), "hub_connections_refused_total{reason=\"connect_rate\"} on node A");
        });
    }
}
