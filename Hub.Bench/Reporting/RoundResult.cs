namespace Hub.Bench.Reporting;

/// <summary>The figures of one measured round. Rates are over the measured window only.</summary>
internal sealed record RoundResult
{
    public required string Variant { get; init; }

    public required int Round { get; init; }

    /// <summary>The step of a round that has several (a ramp, fractions of saturation); null for a round of one window.</summary>
    public string? Step { get; init; }

    /// <summary>Messages per second the publishers offered (open loop); null in a closed loop.</summary>
    public double? OfferedRate { get; init; }

    /// <summary>For a ramp step: whether it kept up within the latency limit.</summary>
    public bool? WithinLimit { get; init; }

    public required double Seconds { get; init; }

    /// <summary>Send calls accepted over the whole round, warm-up and drain included.</summary>
    public required long Accepted { get; init; }

    /// <summary>Send calls accepted in the measured window.</summary>
    public required long Messages { get; init; }

    public required double SendsPerSecond { get; init; }

    public required double DeliveriesPerSecond { get; init; }

    /// <summary>Accepted messages some receiver never got, counted per receiver, over the whole round.</summary>
    public required long Losses { get; init; }

    public required long Errors { get; init; }

    public required IReadOnlyList<string> ErrorSamples { get; init; }

    /// <summary>Send to receipt, in milliseconds.</summary>
    public double? LatencyP50Ms { get; init; }

    public double? LatencyP99Ms { get; init; }

    public double? LatencyP999Ms { get; init; }

    /// <summary>Latency of messages whose publisher and receiver share a node, and of those that crossed to the other node.</summary>
    public double? SameNodeP50Ms { get; init; }

    public double? SameNodeP99Ms { get; init; }

    public double? CrossNodeP50Ms { get; init; }

    public double? CrossNodeP99Ms { get; init; }

    /// <summary>A Send call's round trip (invocation to completion), in milliseconds.</summary>
    public double? SendRttP50Ms { get; init; }

    public double? SendRttP99Ms { get; init; }

    /// <summary>CPU of the bench-owned server processes (nodes and Redis), in cores busy.</summary>
    public double? ServerCpuCores { get; init; }

    /// <summary>The part of <see cref="ServerCpuCores"/> that redis-server used.</summary>
    public double? RedisCpuCores { get; init; }

    /// <summary>
    /// Server CPU (nodes and Redis) per message delivered to a receiver, in microseconds: what
    /// fan-out costs, comparable between servers that deliver at different rates.
    /// </summary>
    public double? ServerCpuMicrosPerDelivery { get; init; }

    /// <summary>redis-server's CPU (every server of a cluster) per message sent, in microseconds.</summary>
    public double? RedisCpuMicrosPerMessage { get; init; }

    /// <summary>
    /// A node with no recipient for any message (<see cref="Scenarios.LoadShape.MemberNodes"/>): its
    /// CPU over the window per message sent, in microseconds, the mean over such nodes. What a
    /// node pays for messages it has no recipient for, plus what it spends idle.
    /// </summary>
    public double? IdleNodeCpuMicrosPerMessage { get; init; }

    /// <summary>The messages such a node's bus reader took per message sent (1 when every node takes every message, 0 with exact routing).</summary>
    public double? IdleNodeBusMessagesPerMessage { get; init; }

    /// <summary>The bench's own CPU (the load generator), which shares the machine with the servers.</summary>
    public double? BenchCpuCores { get; init; }

    /// <summary>Failover: the bench's own garbage-collection pauses over the measured time (its clients' latencies include them).</summary>
    public double? BenchGcPauseMs { get; init; }

    /// <summary>Redis commands per accepted message (INFO commandstats), including those run inside Lua scripts.</summary>
    public double? RedisCommandsPerMessage { get; init; }

    public IReadOnlyDictionary<string, double>? RedisCommandsPerMessageByName { get; init; }

    /// <summary>Idle connections open on the node at once (the connections scenario).</summary>
    public double? Connections { get; init; }

    /// <summary>Idle connections opened per second (TCP, WebSocket upgrade and hub handshake).</summary>
    public double? ConnectsPerSecond { get; init; }

    /// <summary>The node's resident set grown per idle connection, in KiB.</summary>
    public double? MemoryPerConnectionKiB { get; init; }

    /// <summary>Connections over several nodes: each node's resident set grown per idle connection on it, in KiB, node 1 first.</summary>
    public IReadOnlyList<double?>? NodeMemoryPerConnectionKiB { get; init; }

    /// <summary>Connections over several nodes: the load processes that held them (the bench's own re-launched, one per node).</summary>
    public int? LoadProcesses { get; init; }

    /// <summary>
    /// The node's resident set grown per idle connection of the second half, in KiB: what one more
    /// connection costs once the node's fixed costs are paid, the figure that scales to many more.
    /// </summary>
    public double? MarginalMemoryPerConnectionKiB { get; init; }

    /// <summary>
    /// The node's resident set grown per connection, in KiB, read again once the broadcasts are
    /// done and the connections have idled for as long again: what a node that has written to
    /// every connection keeps (send buffers it pooled on the way among them).
    /// </summary>
    public double? MemoryAfterBroadcastsPerConnectionKiB { get; init; }

    /// <summary>The node's managed heap (after its last collection) grown per idle connection, in KiB.</summary>
    public double? HeapPerConnectionKiB { get; init; }

    /// <summary>From one Send until the last of the idle connections has the message, in milliseconds.</summary>
    public double? BroadcastToAllMs { get; init; }

    /// <summary>The node's CPU time from one Send until the last idle connection has it, in milliseconds.</summary>
    public double? BroadcastNodeCpuMs { get; init; }

    /// <summary>Each broadcast's time to all, in milliseconds, in order (null for one that did not reach everybody): the spread behind the median.</summary>
    public IReadOnlyList<double?>? BroadcastsToAllMs { get; init; }

    /// <summary>Connections over several nodes: the load processes' CPU time from one Send until the last connection has it, in milliseconds (median): what the clients took of the same cores.</summary>
    public double? BroadcastLoadCpuMs { get; init; }

    /// <summary>Failover: clients of the killed node, each of which must come back elsewhere and resume.</summary>
    public double? MovedClients { get; init; }

    /// <summary>Failover: from the kill until a moved client's resume answered, in seconds, over the moved clients that came back.</summary>
    public double? ResumedP50Seconds { get; init; }

    public double? ResumedP99Seconds { get; init; }

    public double? ResumedMaxSeconds { get; init; }

    /// <summary>Failover: from the kill until the last moved client saw its connection end, in seconds.</summary>
    public double? LostMaxSeconds { get; init; }

    /// <summary>Failover: from the kill until a moved client's handshake on another node was done (before its join and resume), in seconds.</summary>
    public double? ConnectedP50Seconds { get; init; }

    public double? ConnectedMaxSeconds { get; init; }

    /// <summary>Failover: a moved client's join and resume on its new node (handshake done to resume answered), in seconds.</summary>
    public double? RejoinResumeP50Seconds { get; init; }

    public double? RejoinResumeMaxSeconds { get; init; }

    /// <summary>Failover: moved clients not back and resumed when the round stopped waiting.</summary>
    public double? NotResumed { get; init; }

    /// <summary>Failover: moved clients whose resume said history no longer held what they missed.</summary>
    public double? NotRecovered { get; init; }

    /// <summary>
    /// Failover: p99 latency of the clients that kept their node, in the window before the kill,
    /// from the kill until the last moved client resumed, and in the window after that.
    /// </summary>
    public double? StayedP99BeforeMs { get; init; }

    public double? StayedP99StormMs { get; init; }

    public double? StayedP99AfterMs { get; init; }

    /// <summary>Failover: the most handshakes one surviving node completed in one second after the kill, as the clients saw them complete.</summary>
    public double? PeakConnectsPerSecond { get; init; }

    /// <summary>Failover: handshakes each node completed after the kill ("node 1": n): where the killed node's clients went.</summary>
    public IReadOnlyDictionary<string, int>? AdmittedByNode { get; init; }

    /// <summary>Failover: connection attempts after the kill (those to the killed node included), and those a surviving node refused or failed.</summary>
    public double? ReconnectAttempts { get; init; }

    public double? SurvivorRefusals { get; init; }

    /// <summary>Failover: why attempts failed, with their counts (the killed node's refusals marked as such).</summary>
    public IReadOnlyDictionary<string, int>? RefusalReasons { get; init; }

    /// <summary>Failover: CPU of the surviving nodes and Redis before the kill and from the kill until the last moved client resumed, in cores busy.</summary>
    public double? SurvivorCpuBeforeCores { get; init; }

    public double? SurvivorCpuStormCores { get; init; }

    /// <summary>Failover: 1 when every surviving node kept running and answered <c>/readyz</c> with success at every probe during the storm, else 0.</summary>
    public double? SurvivorsHealthy { get; init; }

    /// <summary>Failover: messages the clients dropped as already delivered (the live copy of one the resume also replayed): Hub.Client drops them the same way.</summary>
    public double? DuplicatesDropped { get; init; }

    /// <summary>Commands clients sent to Redis per accepted message (MONITOR sample): the round trips.</summary>
    public double? RedisRoundTripsPerMessage { get; init; }

    public IReadOnlyDictionary<string, double>? RedisRoundTripsPerMessageByName { get; init; }
}
