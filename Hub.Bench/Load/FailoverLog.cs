using System.Collections.Concurrent;
using System.Diagnostics;

namespace Hub.Bench.Load;

/// <summary>
/// What the clients of a failover round saw together: the kill's moment, latencies of the
/// clients that kept their node (before the kill, during the storm and after it), each reconnect attempt
/// and refusal with its reason, the handshakes each node admitted per second, and what the
/// clients dropped as duplicates (by offset, as Hub.Client's stream tracker does).
/// </summary>
/// <param name="killNode">The node the round kills (0-based): its clients move, the others stay.</param>
internal sealed class FailoverLog(int killNode)
{
    /// <summary>How a refusal by the killed node begins: those are expected, the survivors' are not.</summary>
    public const string KilledNodePrefix = "the killed node: ";

    private readonly Lock _latencyLock = new();
    private readonly ConcurrentDictionary<string, int> _refusals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(int Node, long Second), int> _admitted = new();
    private long _killedAt;
    private long _attempts;
    private long _duplicatesDropped;
    private volatile bool _storm;

    /// <summary>Latency of the clients whose node stayed, in the measured window before the kill.</summary>
    public LatencyHistogram Before { get; } = new();

    /// <summary>Latency of the clients whose node stayed, from the kill until the last moved client resumed.</summary>
    public LatencyHistogram Storm { get; } = new();

    /// <summary>Latency of the clients whose node stayed, once the storm is over (until the round stops measuring).</summary>
    public LatencyHistogram After { get; } = new();

    public int KillNode => killNode;

    /// <summary>The Stopwatch timestamp of the kill; 0 until then.</summary>
    public long KilledAt => Interlocked.Read(ref _killedAt);

    public long Attempts => Interlocked.Read(ref _attempts);

    public long DuplicatesDropped => Interlocked.Read(ref _duplicatesDropped);

    public IReadOnlyDictionary<string, int> Refusals => _refusals;

    public void MarkKill() => MarkKill(Stopwatch.GetTimestamp());

    /// <summary>The kill at <paramref name="at"/>, a Stopwatch timestamp (the same clock in every process of the machine).</summary>
    public void MarkKill(long at)
    {
        // The storm first: a latency recorded in between belongs to it, not to the time after it.
        _storm = true;
        Interlocked.Exchange(ref _killedAt, at);
    }

    /// <summary>The storm is over: the last moved client resumed, or the round gave up on it.</summary>
    public void EndStorm() => _storm = false;

    public void RecordStayedLatency(long sentAt)
    {
        lock (_latencyLock)
        {
            (_storm ? Storm : KilledAt == 0 ? Before : After).RecordSince(sentAt);
        }
    }

    public void Attempted() => Interlocked.Increment(ref _attempts);

    public void Refused(string reason) => _refusals.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void DroppedDuplicate() => Interlocked.Increment(ref _duplicatesDropped);

    /// <summary>A handshake <paramref name="node"/> completed after the kill, counted in the second since the kill it fell in.</summary>
    public void Admitted(int node)
    {
        if (KilledAt != 0)
        {
            _admitted.AddOrUpdate((node, (long)Stopwatch.GetElapsedTime(KilledAt).TotalSeconds), 1, (_, n) => n + 1);
        }
    }

    /// <summary>The most handshakes one node completed in one second after the kill.</summary>
    public int PeakAdmittedPerSecond => _admitted.IsEmpty ? 0 : _admitted.Values.Max();

    /// <summary>Handshakes each node completed after the kill.</summary>
    public IReadOnlyDictionary<int, int> AdmittedByNode =>
        _admitted.GroupBy(a => a.Key.Node).ToDictionary(g => g.Key, g => g.Sum(a => a.Value));
}
