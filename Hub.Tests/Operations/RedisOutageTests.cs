using System.Diagnostics;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Operations;

/// <summary>Two nodes on a Redis of their own, which the test stops and starts again on the same port.</summary>
public sealed class RedisOutageTests
{
    [Test]
    public async Task WithoutRedis_SendsFailFast_AndReachNoOne_ThenDeliveryResumesWithin5Seconds_OnTheSameConnections()
    {
        var redis = await RedisServer.StartAsync();
        var port = redis.Port;
        var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await using var sender = new TestClient(new HubClientOptions { Url = nodeA.HubUrl });
        await using var receiver = new TestClient(new HubClientOptions { Url = nodeB.HubUrl });
        await sender.Client.StartAsync().Within();
        await receiver.Client.StartAsync().Within();
        var (senderId, receiverId) = (sender.ConnectionId, receiver.ConnectionId);
        try
        {
            await redis.DisposeAsync();

            var clock = Stopwatch.StartNew();
            var refused = Assert.ThrowsAsync<HubException>(() => sender.Client.SendAsync("while Redis is down").Within());
            Assert.Multiple(() =>
            {
                Assert.That(refused!.Message, Does.Contain("backplane (Redis) is unavailable"));
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "it fails fast");
                Assert.That((sender.Client.State, receiver.Client.State), Is.EqualTo((HubConnectionState.Connected, HubConnectionState.Connected)));
            });

            redis = await RedisServer.StartAsync(port);
            clock.Restart();
            SendResult? delivered = null;
            while (delivered is null && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                try
                {
                    var result = await sender.Client.SendAsync("after Redis is back").Within();
                    // Polled rather than Inbox.WaitForAsync: NUnit records a timed-out wait's
                    // failure even when the AssertionException is caught for the next try.
                    var wait = Stopwatch.StartNew();
                    while (wait.Elapsed < TimeSpan.FromSeconds(1) && !receiver.Messages.Items.Any(m => m.Id == result.Id))
                    {
                        await Task.Delay(20);
                    }

                    delivered = receiver.Messages.Items.Any(m => m.Id == result.Id) ? result : null;
                }
                catch (HubException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.Multiple(() =>
            {
                Assert.That(delivered, Is.Not.Null, "cross-node delivery came back");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "within 5 s of Redis's return");
                Assert.That((sender.ConnectionId, receiver.ConnectionId), Is.EqualTo((senderId, receiverId)), "on the same connections");
                Assert.That(receiver.Messages.Items.Select(m => m.Text), Has.None.EqualTo("while Redis is down"), "the refused send reached no one");
                Assert.That(sender.Messages.Items.Select(m => m.Text), Has.None.EqualTo("while Redis is down"));
            });
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
