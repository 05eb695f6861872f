using Hub.Server.Redis;
using StackExchange.Redis;

namespace Hub.Tests.Redis;

/// <summary>
/// On a Redis Cluster a script may only touch keys of one hash slot: every call's KEYS, as
/// <see cref="ScriptKeys"/> builds them for the stores that send them, must hash to one slot (CRC16
/// of the key, or of its first non-empty <c>{tag}</c>, mod 16384, as the Redis Cluster specification says).
/// </summary>
public sealed class RedisKeyLayoutTests
{
    // Names with braces too: a name may hold them (NameRules), and they must not move a key's slot.
    private static readonly string[] Groups = ["room", "{all}", "a{b}c"];
    private static readonly string[] Connections = ["c-1", "Xy7{p3}"];
    private static readonly string[] Users = ["alice", "{p0}"];
    private const string Node = "node-a";

    // Every script call the stores make (Backplane/RedisBroker.cs, History/RedisHistoryStore.cs,
    // Presence/RedisPresenceStore.cs), for streams of every kind.
    private static IEnumerable<TestCaseData> ScriptCalls()
    {
        string[] streams = ["all", .. Groups.Select(g => "group:" + g), .. Users.Select(u => "user:" + u), .. Connections.Select(c => "connection:" + c)];
        foreach (var stream in streams)
        {
            yield return Call("publish " + stream, ScriptKeys.Publish(stream, null));
            yield return Call("history_read " + stream, ScriptKeys.HistoryRead(stream));
            // The routed publish SPUBLISHes in its own slot too: the channel of a node in the stream's partition.
            var channel = stream == "all" ? RedisKeys.Bus : RedisKeys.NodeChannel(RedisKeys.PartitionOf(stream), Node);
            yield return Call("publish routed " + stream, [.. ScriptKeys.PublishRouted(stream, null, null), channel]);
        }

        foreach (var connection in Connections)
        {
            yield return Call("publish (connection must be live) " + connection, ScriptKeys.Publish("connection:" + connection, connection));
            yield return Call("publish routed (connection must be live) " + connection, ScriptKeys.PublishRouted("connection:" + connection, connection, connection));
            yield return Call("conn_add " + connection, ScriptKeys.ConnectionAdd(connection, Node));
            yield return Call("conn_join " + connection, ScriptKeys.ConnectionJoin(connection));
            yield return Call("conn_leave " + connection, ScriptKeys.ConnectionLeave(connection));
            yield return Call("conn_forget " + connection, ScriptKeys.ConnectionForget(connection));
        }

        foreach (var user in Users)
        {
            yield return Call("user_add/user_remove " + user, ScriptKeys.User(user));
        }

        foreach (var group in Groups)
        {
            yield return Call("group_join/group_leave/group_snapshot " + group, ScriptKeys.Group(group));
            yield return Call("publish (group command) " + group, ScriptKeys.Publish("group:" + group, Connections[0]));
            yield return Call("publish routed (group command) " + group, ScriptKeys.PublishRouted("group:" + group, Connections[0], Connections[0]));
            yield return Call("publish routed (group command, no check) " + group, ScriptKeys.PublishRouted("group:" + group, null, Connections[0]));
        }

        for (var partition = 0; partition < RedisKeys.Partitions; partition++)
        {
            yield return Call($"purge_batch p{partition}", ScriptKeys.PurgeBatch(partition, Node));
            yield return Call($"leaving_claim p{partition}", ScriptKeys.LeavingClaim(partition));
        }

        yield return Call("node_forget", ScriptKeys.NodeForget());
    }

    [TestCaseSource(nameof(ScriptCalls))]
    public void EveryScriptCall_TouchesKeysOfOneSlot(string[] keys)
    {
        var slots = keys.Select(k => $"{k} -> slot {HashSlot.Of(k)}").ToList();
        Assert.That(keys.Select(HashSlot.Of).Distinct().Count(), Is.EqualTo(1), string.Join("\n", slots));
    }

    [Test]
    public void EveryScriptKeysBuilder_IsCoveredAbove()
    {
        var builders = typeof(ScriptKeys).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static).Select(m => m.Name).ToHashSet();
        var covered = new HashSet<string> { "Publish", "PublishRouted", "HistoryRead", "ConnectionAdd", "ConnectionJoin", "ConnectionLeave", "ConnectionForget", "User", "Group", "PurgeBatch", "LeavingClaim", "NodeForget" };
        Assert.That(builders, Is.EquivalentTo(covered), "a builder of script KEYS that ScriptCalls does not call is not held to one slot");
    }

    [Test]
    public void ARequiredConnection_OnAStreamNeitherItsOwnNorAGroups_IsRefused() =>
        Assert.Throws<ArgumentException>(() => ScriptKeys.Publish("user:bob", "c-1"));

    // Partition k's tag falls in the k-th of P equal slot ranges, so P partitions spread evenly
    // over masters that own equal shares of the slots.
    [Test]
    public void PartitionTags_FallInTheirOwnSlotRange()
    {
        var ranges = Enumerable.Range(0, RedisKeys.Partitions)
            .Select(k => HashSlot.Of("{" + RedisKeys.Tag(k) + "}") * RedisKeys.Partitions / HashSlot.Count);
        Assert.That(ranges, Is.EqualTo(Enumerable.Range(0, RedisKeys.Partitions)));
    }

    // Streams spread over all partitions: 6400 group names fill each of the 64 with 100 ± 50.
    [Test]
    public void Streams_SpreadOverThePartitions()
    {
        var counts = Enumerable.Range(0, 6400).GroupBy(i => RedisKeys.PartitionOf("group:g" + i)).Select(g => g.Count()).ToList();
        Assert.That(counts, Has.Count.EqualTo(RedisKeys.Partitions).And.All.InRange(50, 150));
    }

    // Examples from the Redis Cluster specification and CLUSTER KEYSLOT, so the slot function
    // above is known to be the cluster's own.
    [TestCase("123456789", 0x31C3 % 16384)]
    [TestCase("foo", 12182)]
    [TestCase("bar", 5061)]
    [TestCase("{user1000}.following", 3443)]
    [TestCase("{user1000}.followers", 3443)]
    [TestCase("foo{}{bar}", 8363)]
    [TestCase("foo{{bar}}zap", 4015)]
    [TestCase("foo{bar}{zap}", 5061)]
    public void HashSlot_IsTheClustersOwn(string key, int slot) =>
        Assert.That(HashSlot.Of(key), Is.EqualTo(slot));

    private static TestCaseData Call(string script, RedisKey[] keys) =>
        new TestCaseData((object)keys.Select(k => (string)k!).ToArray()).SetArgDisplayNames(script);
}
