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
    private const int Broadcasts = 3;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BroadcastTimeout = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        var count = Capped(shape.Connections);
        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        var hub = endpoints[0].Url;
        if (hub.Scheme is not ("http" or "tcp"))
        {
            throw new InvalidOperationException($"The connections scenario speaks WebSocket to an http:// hub or records to a tcp:// one, not to {hub}.");
        }

        if (endpoints[0].Protocol == SocketIoSocket.Protocol)
        {
            throw new InvalidOperationException("The connections scenario opens hub connections, or bare WebSockets to the raw peer (--peer raw); it does not speak Engine.IO's handshake.");
        }

        // Node 1's process, when the bench started it; the processes are Redis and the nodes in order.
        var process = target.ServerProcesses.FirstOrDefault(p => p.Name != RedisProcess.Name);
        // Over TCP the node's HTTP address (and its /metrics) is not known here: RSS only.
        Uri? metrics = hub.Scheme == "http" ? new Uri(hub, "/metrics") : null;
        var errors = new ErrorLog();
        var acks = new Acks();
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
                try
                {
                    await acks.PublishAsync(publisher, b, IdleConnections.Mark(b), cancellationToken);
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException)
                {
                    errors.Add($"broadcast {b}: {ex.GetType().Name}: {ex.Message}");
                }

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

            var broadcastMs = times.Count > 0 && times.All(t => t is not null) ? Statistics.Median(times) : null;
            var connected = idle.Connected;
            return
            [
                new RoundResult
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
                    MemoryPerConnectionKiB = PerConnectionKiB(before.ResidentBytes, after.ResidentBytes, connected),
                    MemoryAfterBroadcastsPerConnectionKiB = afterBroadcasts is null ? null : PerConnectionKiB(before.ResidentBytes, afterBroadcasts.ResidentBytes, connected),
                    HeapPerConnectionKiB = PerConnectionKiB(before.HeapBytes, after.HeapBytes, connected),
                    MarginalMemoryPerConnectionKiB = half is null || connected == halfConnected ? null : PerConnectionKiB(half.ResidentBytes, after.ResidentBytes, connected - halfConnected),
                    BroadcastToAllMs = broadcastMs,
                    BroadcastNodeCpuMs = broadcastMs is null ? null : Statistics.Median(nodeCpu),
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

    private static double? PerConnectionKiB(long? before, long? after, int connections) =>
        before is { } b && after is { } a && connections > 0 ? (a - b) / 1024.0 / connections : null;

    /// <summary>
    /// <paramref name="wanted"/>, or as many as the open-files limit lets the bench and the node
    /// hold (each connection is a file in both), saying so when that is fewer.
    /// </summary>
    private static int Capped(int wanted)
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

    /// <summary>The publisher's answers: each Send awaited, bounded, and counted when accepted.</summary>
    private sealed class Acks
    {
        private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(30);
        private TaskCompletionSource<string?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expected = -1;

        public long Accepted { get; private set; }

        public void OnEvent(LoadEvent loadEvent)
        {
            if (loadEvent.Kind == LoadEventKind.Ack && loadEvent.Id == Volatile.Read(ref _expected))
            {
                _answer.TrySetResult(loadEvent.Error);
            }
        }

        public async Task PublishAsync(LoadConnection publisher, long id, string text, CancellationToken cancellationToken)
        {
            _answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _expected, id);
            await publisher.Socket.PublishAsync(id, text, cancellationToken);
            if (await _answer.Task.WaitAsync(AckTimeout, cancellationToken) is { } error)
            {
                throw new InvalidOperationException($"The publisher's Send failed: {error}");
            }

            Accepted++;
        }
    }
}
