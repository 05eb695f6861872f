using Hub.Server.Redis;

namespace Hub.Server.Backplane;

/// <summary>
/// Which streams may have lost messages on their way to this node: every one (the subscription was
/// lost or moved), or, with interest routing, only those one channel carries (its sequence broke),
/// so a gap in one partition does not hold back and re-read every stream of the node.
/// </summary>
internal sealed class BusGap
{
    private readonly int _partition;

    private BusGap(int partition) => _partition = partition;

    /// <summary>Any stream.</summary>
    public static BusGap Everything { get; } = new(-1);

    /// <summary>The broadcast stream, which the bus channel carries alone with routing.</summary>
    public static BusGap Broadcasts { get; } = new(-2);

    /// <summary>The streams of one partition, which its node channel carries with routing.</summary>
    public static BusGap OfPartition(int partition) => new(partition);

    public bool Covers(string stream) => _partition switch
    {
        -1 => true,
        -2 => stream == "all",
        _ => stream != "all" && RedisKeys.PartitionOf(stream) == _partition,
    };

    public override string ToString() => _partition switch
    {
        -1 => "every stream",
        -2 => "the broadcast stream",
        _ => $"the streams of partition {_partition}",
    };
}
