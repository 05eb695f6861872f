using Hub.Tests.Infrastructure;

namespace Hub.Tests.Recovery;

/// <summary>
/// A standalone Redis with an append-only file synced every second (<c>appendfsync everysec</c>)
/// that comes back without its last second of writes, as after a crash of its machine: every
/// stream written in that second is behind what the nodes and clients saw.
/// </summary>
public sealed class AofRestartRecoveryTests
{
    [Test]
    public async Task WhenRedisComesBackWithoutItsLastSecond_NoOffsetNamesTwoMessages_AndWhatWasLostIsReported()
    {
        var data = Directory.CreateTempSubdirectory("hub-redis-aof-");
        string[] aof = ["--appendonly", "yes", "--appendfsync", "everysec"];
        var redis = await RedisServer.StartAsync(dataDirectory: data.FullName, arguments: aof);
        try
        {
            var settings = new Dictionary<string, string?> { ["Hub:Redis"] = redis.Configuration };
            await using var nodeA = await TestNode.StartAsync("node-a", settings);
            await using var nodeB = await TestNode.StartAsync("node-b", settings);
            await using var audience = await Audience.StartAsync(nodeA, nodeB, carolsProtocol: "messagepack");

            await using var publisher = audience.Publish();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var file = data.GetFiles("*.incr.aof", SearchOption.AllDirectories).Single();
            var aSecondBefore = file.Length;
            await Task.Delay(TimeSpan.FromSeconds(1));

            // SIGKILL alone loses nothing (the file is written before a client gets its answer);
            // what a crash of the machine loses is the second not yet synced to disk.
            await redis.KillAsync();
            var killedAt = publisher.Clock.Elapsed;
            await using (var cut = new FileStream(file.FullName, FileMode.Open))
            {
                cut.SetLength(aSecondBefore);
            }

            await redis.DisposeAsync();
            redis = await RedisServer.StartAsync(redis.Port, data.FullName, aof);
            var backAfter = await publisher.WaitForAcceptanceAsync("sends are taken again after the restart", TimeSpan.FromSeconds(20), killedAt);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await publisher.StopAsync();
            var receipts = await audience.EndAsync();

            var accepted = publisher.Accepted.Select(a => a.Result).ToList();
            var history = new[] { await Receipt.OfHistoryAsync(nodeA, Audience.Group), await Receipt.OfHistoryAsync(nodeA, Audience.User) };
            Assert.Multiple(() =>
            {
                Assert.That(receipts[1].LostStreams, Does.Contain(Audience.Group), "dave saw the group's last second before Redis lost it: he is told");
                Assert.That(publisher.Refused.Select(r => r.Took), Has.All.LessThan(TimeSpan.FromSeconds(1)), "sends fail fast while Redis is away");
                Assert.That(backAfter, Is.LessThan(TimeSpan.FromSeconds(15)), "sends are taken again within 15 s");
                Audience.AssertDelivered(accepted, receipts, history);
            });
        }
        finally
        {
            await redis.DisposeAsync();
            data.Delete(recursive: true);
        }
    }
}
