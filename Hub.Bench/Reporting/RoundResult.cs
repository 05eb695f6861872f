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

    /// <summary>The bench's own CPU (the load generator), which shares the machine with the servers.</summary>
    public double? BenchCpuCores { get; init; }

    /// <summary>Redis commands per accepted message (INFO commandstats), including those run inside Lua scripts.</summary>
    public double? RedisCommandsPerMessage { get; init; }

    public IReadOnlyDictionary<string, double>? RedisCommandsPerMessageByName { get; init; }

    /// <summary>Idle connections open on the node at once (the connections scenario).</summary>
    public double? Connections { get; init; }

    /// <summary>Idle connections opened per second (TCP, WebSocket upgrade and hub handshake).</summary>
    public double? ConnectsPerSecond { get; init; }

    /// <summary>The node's resident set grown per idle connection, in KiB.</summary>
    public double? MemoryPerConnectionKiB { get; init; }

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

    /// <summary>Commands clients sent to Redis per accepted message (MONITOR sample): the round trips.</summary>
    public double? RedisRoundTripsPerMessage { get; init; }

    public IReadOnlyDictionary<string, double>? RedisRoundTripsPerMessageByName { get; init; }
}
