using System.Diagnostics;
using Hub.Client;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Tests.Operations;

/// <summary>Two nodes on a Redis of their own, which the test stops and starts again on the same port.</summary>
public sealed class RedisOutageTests
{
    [Test]
    public async Task TenSecondsWithoutRedis_SendsFailFast_AndReachNoOne_AndOnceItIsBack_NothingAcceptedIsLost()
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
        try
        {
            await redis.DisposeAsync();

            var clock = Stopwatch.StartNew();
            var refused = Assert.ThrowsAsync<HubException>(() => sender.Client.SendAsync("while Redis is down").Within());
            Assert.Multiple(() =>
            {
                Assert.That(refused!.Message, Does.Contain("backplane (Redis) is unavailable"));
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "it fails fast");
                Assert.That((sender.Client.State, receiver.Client.State), Is.EqualTo((HubConnectionState.Connected, HubConnectionState.Connected)),
                    "connections stay open without Redis");
            });

            // Ten seconds without Redis: every send keeps failing fast, the connections stay open.
            for (var second = 0; second < 10; second++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                clock.Restart();
                Assert.ThrowsAsync<HubException>(() => sender.Client.SendAsync("while Redis is down").Within());
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            }

            Assert.That((sender.Client.State, receiver.Client.State), Is.EqualTo((HubConnectionState.Connected, HubConnectionState.Connected)));

            // From Redis's return on, send every 100 ms whatever happens: while the nodes come
            // back some sends fail, and the sender is told so; every send that was accepted must
            // reach the other node's client.
            redis = await RedisServer.StartAsync(port);
            clock.Restart();
            var accepted = new List<(SendResult Result, TimeSpan At)>();
            for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(6); i++)
            {
                try
                {
                    accepted.Add((await sender.Client.SendAsync($"after Redis is back {i}").Within(), clock.Elapsed));
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException)
                {
                }

                await Task.Delay(100);
            }

            foreach (var (result, _) in accepted)
            {
                await receiver.Messages.WaitForAsync(m => m.Id == result.Id, $"accepted message {result.Offset} on the other node");
            }

            Assert.Multiple(() =>
            {
                Assert.That(accepted, Is.Not.Empty);
                Assert.That(accepted[0].At, Is.LessThan(TimeSpan.FromSeconds(5)), "sends are accepted again within 5 s of Redis's return");
                Assert.That(receiver.Messages.Items.Select(m => m.Text), Has.None.EqualTo("while Redis is down"), "the refused send reached no one");
                Assert.That(sender.Messages.Items.Select(m => m.Text), Has.None.EqualTo("while Redis is down"));
                Assert.That(receiver.Reconnected.Items, Is.Empty, "its node filled what it missed from history: no reconnect");
                Assert.That(receiver.Lost.Items, Is.Empty, "nothing was lost");
            });
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    [Test]
    public async Task WhileRedisIsDown_TheNodeSaysSoOnce_AndOnceWhenItIsBack()
    {
        // The dead-node sweep runs every second, the heartbeat and the bus's reconnects too: an
        // outage of minutes must not fill the log with a line (or a stack) a second.
        // It comes back with its data, so the outage is all there is to say.
        var data = Directory.CreateTempSubdirectory("hub-redis-");
        var redis = await RedisServer.StartAsync(dataDirectory: data.FullName);
        var port = redis.Port;
        var logs = new CapturingLoggerProvider();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = redis.Configuration,
            ["Hub:Presence:HeartbeatSeconds"] = "1",
            ["Logging:LogLevel:Hub"] = "Information",
        };
        await using var node = await TestNode.StartAsync("node-a", settings, logs: logs);
        try
        {
            await redis.SaveAsync().Within();
            var before = logs.Entries.Count;
            await redis.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(3.5));
            redis = await RedisServer.StartAsync(port, data.FullName);

            var said = () => logs.Entries.Skip(before).Where(e => e.Category.StartsWith("Hub.", StringComparison.Ordinal) && e.Level >= LogLevel.Information).ToList();
            await Bounded.UntilAsync(() => Task.FromResult(said().Any(e => e.Message.StartsWith("Redis answers again"))),
                "the node says Redis is back", TimeSpan.FromSeconds(10));
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            var lines = string.Join("\n", said().Select(e => $"{e.Level} {e.Category}: {e.Message}"));
            Assert.Multiple(() =>
            {
                Assert.That(said().Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList(),
                    Has.Count.EqualTo(1).And.All.StartsWith("Redis is unreachable"), lines);
                Assert.That(said().Count(e => e.Message.StartsWith("Redis answers again")), Is.EqualTo(1), lines);
                Assert.That(logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Exception is not null), Is.Empty, "no stack traces");
            });
        }
        finally
        {
            await redis.DisposeAsync();
            data.Delete(recursive: true);
        }
    }

    [Test]
    public async Task WhenPresenceIsLostWhileTheBusStaysUp_TheNodesRegisterTheirConnectionsAgain_WithTheirGroups()
    {
        var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = redis.Configuration,
            ["Hub:Presence:HeartbeatSeconds"] = "1",
            ["Hub:Presence:NodeTimeoutSeconds"] = "3",
        };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        await using var sender = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeA, "alice") });
        await using var member = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeB, "bob") });
        await sender.Client.StartAsync().Within();
        await member.Client.StartAsync().Within();
        await member.Client.JoinAsync("room").Within();
        var memberId = member.ConnectionId;
        try
        {
            // A flush keeps the connections to Redis (and so the bus) up: only what presence knew is gone.
            await redis.FlushAllAsync().Within();

            await Bounded.UntilAsync(async () =>
            {
                try
                {
                    return (await sender.Client.GetPresenceAsync("room")).Connections == 1 &&
                        (await sender.Client.GetPresenceAsync()).Connections == 2;
                }
                catch (HubException)
                {
                    return false;
                }
            }, "both nodes' connections and the group registered again", TimeSpan.FromSeconds(10));

            var direct = await sender.Client.SendToConnectionAsync(memberId, "you are still known").Within();
            await member.Messages.WaitForAsync(m => m.Id == direct.Id, "the message to the same connection");
            var hub = await sender.Client.GetPresenceAsync().Within();
            Assert.Multiple(() =>
            {
                Assert.That(member.ConnectionId, Is.EqualTo(memberId), "no reconnect was needed");
                Assert.That((hub.Connections, hub.Users), Is.EqualTo((2L, new[] { "alice", "bob" })));
            });
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    [Test]
    public async Task AConnectionThatClosesWhileRedisIsDown_IsNoLongerListed_OnceRedisIsBackWithWhatItKnew()
    {
        var data = Directory.CreateTempSubdirectory("hub-redis-");
        var redis = await RedisServer.StartAsync(dataDirectory: data.FullName);
        var port = redis.Port;
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Redis"] = redis.Configuration,
            ["Hub:Presence:HeartbeatSeconds"] = "1",
        };
        await using var nodeA = await TestNode.StartAsync("node-a", settings);
        await using var nodeB = await TestNode.StartAsync("node-b", settings);
        var leaving = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeA, "carol") });
        await using var staying = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(nodeB, "bob") });
        var closed = false;
        try
        {
            await leaving.Client.StartAsync().Within();
            await staying.Client.StartAsync().Within();
            await leaving.Client.JoinAsync("room").Within();
            await staying.Client.JoinAsync("room").Within();
            Assert.That((await staying.Client.GetPresenceAsync("room").Within()).Users, Is.EqualTo(new[] { "bob", "carol" }));

            // Redis goes away keeping what it knew, as a restart from disk or a replica taking
            // over brings it back; carol closes meanwhile, so node A cannot take her out then.
            await redis.SaveAsync().Within();
            await redis.DisposeAsync();
            await leaving.DisposeAsync();
            closed = true;
            await Task.Delay(TimeSpan.FromSeconds(1));
            redis = await RedisServer.StartAsync(port, data.FullName);

            await Bounded.UntilAsync(async () =>
            {
                try
                {
                    var (room, hub) = (await staying.Client.GetPresenceAsync("room"), await staying.Client.GetPresenceAsync());
                    return (room.Users.SequenceEqual(["bob"]), room.Connections, hub.Users.SequenceEqual(["bob"]), hub.Connections) == (true, 1, true, 1);
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException)
                {
                    return false;
                }
            }, "carol no longer listed or counted in the room or the hub, only bob's one connection", TimeSpan.FromSeconds(15));
            Assert.That(staying.Reconnected.Items, Is.Empty, "bob kept his connection through the outage");
        }
        finally
        {
            if (!closed)
            {
                await leaving.DisposeAsync();
            }

            await redis.DisposeAsync();
            data.Delete(recursive: true);
        }
    }

    [TestCase(true, TestName = "A subscription connection the node closes on purpose is no outage in its log")]
    [TestCase(false, TestName = "A subscription connection lost otherwise is an outage in its log")]
    public async Task ASubscriptionConnectionClosed_IsAnOutageInTheLog_UnlessTheNodeClosedItOnPurpose(bool onPurpose)
    {
        // The node closes its own sharded subscriptions left on a replica (RedisBroker's stray
        // subscriptions); saying Redis is unreachable then would send an operator looking for an outage.
        await using var redis = await RedisServer.StartAsync();
        var logs = new CapturingLoggerProvider();
        await using var node = await TestNode.StartAsync("node-a", new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration }, logs: logs);
        var connection = node.Services.GetRequiredService<RedisConnection>();
        await Bounded.UntilAsync(async () => await Subscribed(redis), "the node's subscription");

        if (onPurpose)
        {
            connection.ClosingSubscriptionOnPurpose(connection.Multiplexer.GetServers()[0].EndPoint);
        }

        Assert.That(await redis.KillSubscriptionsAsync("hub-node-a").Within(), Is.EqualTo(1));
        await Bounded.UntilAsync(async () => await Subscribed(redis), "the node subscribed again");
        await Task.Delay(TimeSpan.FromSeconds(1));

        var unreachable = logs.Warnings.Where(w => w.StartsWith("Redis is unreachable", StringComparison.Ordinal)).ToList();
        Assert.That(unreachable, onPurpose ? Is.Empty : Has.Count.EqualTo(1), string.Join("\n", logs.Warnings));

        static async Task<bool> Subscribed(RedisServer redis) =>
            (await redis.Admin.ClientListAsync()).Any(c => c.Name == "hub-node-a" && c.SubscriptionCount > 0);
    }
}
