using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// One round of the connections scenario: a publisher on the first node, the node's memory
/// measured, N idle connections opened to that node (timed) in two halves with its memory read
/// after each, then a few broadcasts from the publisher, each timed until the last idle
/// connection has it, and the memory once more after as long an idle time again.
/// </summary>
internal sealed class ConnectionsRound(IBenchTarget target, LoadShape shape, ProgressLine progress, CancellationToken cancellationToken) : IRound
{
    private const int Parallel = 200;
    public const int Broadcasts = 3;

    /// <summary>How long the node settles after the warm-up broadcast before its memory is read.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    /// <summary>How long a broadcast may take to reach every connection before those without it count as lost.</summary>
    public static readonly TimeSpan BroadcastTimeout = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        var count = Capped(shape.Connections);
        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        var hub = endpoints[0].Url;
        CheckSpoken(endpoints[0]);

        // Node 1's process, when the bench started it; the processes are Redis and the nodes in order.
        var process = target.ServerProcesses.FirstOrDefault(p => p.Name != RedisProcess.Name);
        // Over TCP the node's HTTP address (and its /metrics) is not known here: RSS only.
        Uri? metrics = hub.Scheme == "http" ? new Uri(hub, "/metrics") : null;
        var errors = new ErrorLog();
        var acks = new PublisherAcks();
        IdleConnections? idle = null;
        var publisher = await LoadConnection.OpenAsync(endpoints[0], "publisher", acks.OnEvent, errors);
        try
        {
            // One broadcast first, so that its code paths are warm before the baseline.
            await acks.PublishAsync(publisher, 0, "warm-up", cancellationToken);
            await Task.Delay(Settle, cancellationToken);
            var before = await NodeMemory.ReadAsync(process, metrics, cancellationToken);

            // Half first, then the rest, the node's memory read after each (both after the same idle
            // time): the second half's share is what one more connection costs, without the
            // node's fixed costs (its collector's room, pools) that the first connections bring.
            idle = IdleConnections.Create(hub, bare: endpoints[0].Protocol == RawSocket.Protocol, count, Parallel, errors);
            progress.Show($"{label}: connecting (sends = connects)", () => (idle.Connected, 0));
            var connecting = Stopwatch.GetTimestamp();
            var complete = await idle.OpenAsync(count / 2, cancellationToken);
            var connectSeconds = Stopwatch.GetElapsedTime(connecting).TotalSeconds;
            NodeMemory? half = null;
            var halfConnected = idle.Connected;
            if (complete && halfConnected > 0)
            {
                progress.Show($"{label}: {halfConnected:N0} connected, idle", static () => default);
                await Task.Delay(shape.Duration, cancellationToken);
                half = await NodeMemory.ReadAsync(process, metrics, cancellationToken);
            }

            if (complete)
            {
                progress.Show($"{label}: connecting (sends = connects)", () => (idle.Connected, 0));
                connecting = Stopwatch.GetTimestamp();
                await idle.OpenAsync(count, cancellationToken);
                connectSeconds += Stopwatch.GetElapsedTime(connecting).TotalSeconds;
            }

            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"Node 1 exited while {idle.Connected:N0} connections were open:\n{process.Output}");
            }

            // Idle for the round's duration before the node's memory is read (and a gcdump can be taken meanwhile).
            progress.Show($"{label}: {idle.Connected:N0} connected, idle", static () => default);
            await Task.Delay(shape.Duration, cancellationToken);
            var after = await NodeMemory.ReadAsync(process, metrics, cancellationToken);

            var times = new List<double?>();
            // The node's own CPU time from the send to the last arrival: what a broadcast costs the
            // server, apart from the bench's clients, which share this machine's cores with it.
            var nodeCpu = new List<double?>();
            long missed = 0;
            for (var b = 1; b <= Broadcasts && idle.Connected > 0; b++)
            {
                progress.Show($"{label}: broadcast {b} to {idle.Connected:N0}", () => (0, idle.Reached));
                var reachedAll = idle.Expect(b);
                var cpuBefore = process?.CpuTime;
                var sent = Stopwatch.GetTimestamp();
                await acks.PublishMarkAsync(publisher, b, errors, cancellationToken);

                var done = await Task.WhenAny(reachedAll, Task.Delay(BroadcastTimeout, cancellationToken));
                times.Add(done == reachedAll ? Stopwatch.GetElapsedTime(sent, reachedAll.Result).TotalMilliseconds : null);
                nodeCpu.Add(done == reachedAll && process is not null ? (process.CpuTime - cpuBefore!.Value).TotalMilliseconds : null);
                missed += idle.Connected - idle.Reached;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            // Idle as long again, then the memory once more: what writing to every connection left behind.
            NodeMemory? afterBroadcasts = null;
            if (times.Count > 0)
            {
                progress.Show($"{label}: {idle.Connected:N0} connected, idle after the broadcasts", static () => default);
                await Task.Delay(shape.Duration, cancellationToken);
                afterBroadcasts = await NodeMemory.ReadAsync(process, metrics, cancellationToken);
            }

            var connected = idle.Connected;
            return
            [
                Result(variant, round, connectSeconds, acks, times, nodeCpu, missed, errors, connected) with
                {
                    MemoryPerConnectionKiB = NodeMemory.PerConnectionKiB(before.ResidentBytes, after.ResidentBytes, connected),
                    MemoryAfterBroadcastsPerConnectionKiB = afterBroadcasts is null ? null : NodeMemory.PerConnectionKiB(before.ResidentBytes, afterBroadcasts.ResidentBytes, connected),
                    HeapPerConnectionKiB = NodeMemory.PerConnectionKiB(before.HeapBytes, after.HeapBytes, connected),
                    MarginalMemoryPerConnectionKiB = half is null || connected == halfConnected ? null : NodeMemory.PerConnectionKiB(half.ResidentBytes, after.ResidentBytes, connected - halfConnected),
                },
            ];
        }
        finally
        {
            progress.Show($"{label}: closing", static () => default);
            await publisher.DisposeAsync();
            if (idle is not null)
            {
                await idle.DisposeAsync();
            }

            await target.EndRoundAsync();
        }
    }

    /// <summary>
    /// The figures a connections round reports alike on one node or several: connects/s, the median
    /// time of a broadcast to all (none when any one did not reach everybody) and the nodes' CPU for it;
    /// the round adds its memory figures.
    /// </summary>
    public static RoundResult Result(Variant variant, int round, double connectSeconds, PublisherAcks acks, List<double?> times, List<double?> nodeCpu, long missed, ErrorLog errors, int connected)
    {
        var broadcastMs = times.Count > 0 && times.All(t => t is not null) ? Statistics.Median(times) : null;
        return new RoundResult
        {
            Variant = variant.Name,
            Round = round,
            Seconds = connectSeconds,
            Accepted = acks.Accepted,
            Messages = times.Count,
            SendsPerSecond = 0,
            DeliveriesPerSecond = broadcastMs > 0 ? connected / (broadcastMs.Value / 1000) : 0,
            Losses = missed,
            Errors = errors.Count,
            ErrorSamples = errors.Samples,
            Connections = connected,
            ConnectsPerSecond = connected / connectSeconds,
            BroadcastToAllMs = broadcastMs,
            BroadcastNodeCpuMs = broadcastMs is null ? null : Statistics.Median(nodeCpu),
            BroadcastsToAllMs = times,
        };
    }

    /// <summary>Throws unless the idle connections speak <paramref name="endpoint"/>'s protocol: hub connections over WebSocket or TCP, or bare WebSockets to the raw peer.</summary>
    public static void CheckSpoken(Endpoint endpoint)
    {
        var hub = endpoint.Url;
        if (hub.Scheme is not ("http" or "tcp"))
        {
            throw new InvalidOperationException($"The connections scenario speaks WebSocket to an http:// hub or records to a tcp:// one, not to {hub}.");
        }

        if (endpoint.Protocol == SocketIoSocket.Protocol)
        {
            throw new InvalidOperationException("The connections scenario opens hub connections, or bare WebSockets to the raw peer (--peer raw); it does not speak Engine.IO's handshake.");
        }
    }

    /// <summary>
    /// <paramref name="wanted"/>, or as many as the open-files limit lets the bench and the node
    /// hold (each connection is a file in both), saying so when that is fewer.
    /// </summary>
    public static int Capped(int wanted)
    {
        var limit = FileLimit.Raise(wanted + FileLimit.Reserve);
        var ports = File.Exists("/proc/sys/net/ipv4/ip_local_port_range") ? File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Trim().Replace('\t', '–') : "unknown";
        var backlog = File.Exists("/proc/sys/net/core/somaxconn") ? File.ReadAllText("/proc/sys/net/core/somaxconn").Trim() : "unknown";
        Console.Error.WriteLine($"Limits: open files {limit?.Soft.ToString("N0") ?? "unknown"} (hard {limit?.Hard.ToString("N0") ?? "unknown"}; the nodes inherit it), " +
            $"local ports {ports} per source address × {IdleConnections.SourceAddresses} addresses, somaxconn {backlog} ({Parallel} connects in flight).");
        if (limit is { Soft: var soft } && soft - FileLimit.Reserve < wanted)
        {
            var capped = (int)Math.Max(1, soft - FileLimit.Reserve);
            Console.Error.WriteLine($"The open-files limit caps the connections at {capped:N0} of the {wanted:N0} asked for: the hard limit " +
                $"({limit.Value.Hard:N0}) could not be raised: " + (FileLimit.CanRaiseHard() == false
                    ? "this process lacks CAP_SYS_RESOURCE (a container started without it; even root cannot raise it then), so start the bench from a shell with a higher ulimit -Hn."
                    : "raise it for the shell that starts the bench (ulimit -Hn; fs.nr_open bounds it)."));
            return capped;
        }

        return wanted;
    }
}
