using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Recovery;

/// <summary>
/// Redis failing over under a steady publisher, as a Sentinel-run or managed Redis does in routine
/// maintenance: sends fail fast while there is no primary and are taken again soon after; every
/// accepted message reaches every receiver once, or the receiver is told its stream lost messages
/// — also when the promoted replica lacks the last writes, which would otherwise hand out their
/// offsets a second time.
/// </summary>
public sealed class FailoverRecoveryTests
{
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(400);

    private SentinelSetup _sentinels = null!;

    [OneTimeSetUp]
    public async Task StartSentinels() => _sentinels = await SentinelSetup.StartAsync();

    [OneTimeTearDown]
    public async Task StopSentinels() => await _sentinels.DisposeAsync();

    [Test]
    public async Task WhenThePrimaryIsKilledAgainAndAgain_SendsFailFast_AndEveryAcceptedMessageIsDeliveredOnce_OrReportedLost()
    {
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = _sentinels.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await nodeA.WaitUntilReadyAsync();
        await nodeB.WaitUntilReadyAsync();
        await using var audience = await Audience.StartAsync(nodeA, nodeB);

        await using var publisher = audience.Publish();
        using var probing = new CancellationTokenSource();
        // The node alice sends through: ready must mean her sends are taken.
        var readiness = ProbeReadinessAsync(nodeA, publisher.Clock, probing.Token);
        var outages = new List<(TimeSpan Killed, TimeSpan TakenAgain)>();
        foreach (var lag in new[] { TimeSpan.Zero, Lag, Lag })
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var killedAt = await _sentinels.FailOverAsync(publisher.Clock, lag);
            var takenAgain = await publisher.WaitForAcceptanceAsync("sends are taken again after the failover", TimeSpan.FromSeconds(20), killedAt);
            outages.Add((killedAt, killedAt + takenAgain));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        await publisher.StopAsync();
        await probing.CancelAsync();
        var probes = await readiness;
        var receipts = await audience.EndAsync();

        var accepted = publisher.Accepted.Select(a => a.Result).ToList();
        var backAfter = outages.Select(o => o.TakenAgain - o.Killed).ToList();
        TestContext.Out.WriteLine($"accepted {accepted.Count}, refused {publisher.Refused.Count}, taken again after {string.Join(", ", backAfter)}");
        foreach (var refusals in publisher.Refused.GroupBy(r => (r.Reason, Outage: outages.FindLastIndex(o => o.Killed < r.At + r.Took))))
        {
            TestContext.Out.WriteLine($"refused {refusals.Count()}x from {refusals.First().At} to {refusals.Last().At} (longest {refusals.Max(r => r.Took)}): {refusals.Key.Reason}");
        }

        TestContext.Out.WriteLine($"killed at {string.Join(", ", outages.Select(o => o.Killed))}");

        // Ready means sends are taken: no send failed for want of Redis between two answers that
        // both said ready (unless the primary was killed while it was on its way: the kill's time is
        // taken once the process is gone, a moment after the signal).
        var readyWithoutPrimary = publisher.Refused
            .Where(r => r.Reason.Contains("Redis") &&
                probes.LastOrDefault(p => p.At < r.At).Ready && probes.FirstOrDefault(p => p.At > r.At + r.Took).Ready &&
                !outages.Any(o => o.Killed > r.At - TimeSpan.FromMilliseconds(100) && o.Killed < r.At + r.Took + TimeSpan.FromMilliseconds(100)))
            .Select(r => r.At)
            .ToList();
        var history = new[] { await Receipt.OfHistoryAsync(nodeA, Audience.Group), await Receipt.OfHistoryAsync(nodeA, Audience.User) };
        Assert.Multiple(() =>
        {
            Assert.That(publisher.Refused.Select(r => r.Took), Has.All.LessThan(TimeSpan.FromSeconds(1)), "sends fail fast during a failover");
            Assert.That(backAfter, Has.All.LessThan(TimeSpan.FromSeconds(15)), "sends are taken again within 15 s");
            Assert.That(readyWithoutPrimary, Is.Empty, "sends failed for want of Redis while node A said it was ready before and after");
            Audience.AssertDelivered(accepted, receipts, history);
        });
    }

    /// <summary>Asks the node's /readyz every 100 ms until cancelled; returns each answer with when it came.</summary>
    private static async Task<List<(TimeSpan At, bool Ready)>> ProbeReadinessAsync(HubNode node, System.Diagnostics.Stopwatch clock, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var probes = new List<(TimeSpan, bool)>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(node.BaseUrl, "/readyz"), stop);
                probes.Add((clock.Elapsed, response.IsSuccessStatusCode));
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return probes;
    }

    [Test]
    public async Task WithWaitReplicas_ASendIsAcceptedOnlyOnceTheReplicaHasIt_AndAFailoverCostsClientsNothing()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = _sentinels.Configuration,
            ["Hub:History:WaitReplicas"] = "1",
            ["Hub:History:WaitTimeout"] = "00:00:00.5",
        };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await nodeA.WaitUntilReadyAsync();
        await nodeB.WaitUntilReadyAsync();
        await using var audience = await Audience.StartAsync(nodeA, nodeB);
        var accepted = new List<SendResult>();
        await SendAsync(audience, accepted, "followed");

        await _sentinels.CutOffReplicaAsync();
        HubException? refused;
        try
        {
            refused = Assert.ThrowsAsync<HubException>(() => audience.Alice.Client.SendToGroupAsync("room", "unconfirmed").Within());
        }
        finally
        {
            await _sentinels.RejoinReplicaAsync();
        }

        await SendAsync(audience, accepted, "caught up");
        await _sentinels.FailOverAsync(System.Diagnostics.Stopwatch.StartNew());
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                accepted.Add(await audience.Alice.Client.SendToGroupAsync("room", "after the failover"));
                return true;
            }
            catch (HubException)
            {
                return false;
            }
        }, "sends are taken again after the failover");
        await SendAsync(audience, accepted, "on the new primary");
        var receipts = await audience.EndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.Contain("Hub:History:WaitReplicas"), "a send no replica confirmed fails, and says why");
            Audience.AssertDelivered(accepted, receipts);
            foreach (var receipt in receipts)
            {
                Assert.That((receipt.LostStreams, receipt.Reconnects), Is.EqualTo((Array.Empty<string>(), 0)),
                    $"{receipt.Name}: the promoted replica had every accepted message: nothing lost, no reconnect");
            }
        });
    }

    private static async Task SendAsync(Audience audience, List<SendResult> accepted, string text)
    {
        for (var i = 0; i < 10; i++)
        {
            accepted.Add(await audience.Alice.Client.SendToGroupAsync("room", $"{text} {i}").Within());
            accepted.Add(await audience.Alice.Client.SendToUserAsync("bob", $"{text} {i}").Within());
        }
    }
}
