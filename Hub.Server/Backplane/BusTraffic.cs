using Hub.Server.Core;

namespace Hub.Server.Backplane;

/// <summary>
/// How many messages this node's bus reader took, by the kind of their target. With interest
/// routing (a Redis Cluster) a node takes a group's, a user's or a connection's messages only while
/// it holds a recipient: the tests read these counts to hold that exact, the bench to price what
/// a node pays for messages it has no recipient for.
/// </summary>
internal sealed class BusTraffic
{
    private readonly long[] _received = new long[Enum.GetValues<TargetKind>().Length];

    public void Received(TargetKind kind) => Interlocked.Increment(ref _received[(int)kind]);

    public long ReceivedOf(TargetKind kind) => Interlocked.Read(ref _received[(int)kind]);
}
