using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// A connections round over several nodes (<c>connections --nodes N</c>): the idle connections
/// spread evenly over the nodes, each node's share opened by a load process of its own (the
/// bench re-launched, <see cref="IdleWorker"/>), since one process holds no more connections than
/// the open-files limit lets it, and a node no more either. A publisher on the first node; each
/// node's memory read before and after the connections idled; then a few broadcasts, each timed
/// from the Send until the last connection in any load process has it (the processes share the
/// machine's monotonic clock), with the nodes' CPU time over it.
/// </summary>
internal sealed class SpreadConnectionsRound(IBenchTarget target, LoadShape shape, ProgressLine progress, CancellationToken cancellationToken) : IRound
{
    // Far more than 95,000 take at the slowest rate seen here (2,662/s): a load process stuck in a handshake must not hang the run.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        ConnectionsRound.CheckSpoken(endpoints[0]);
        var shares = Shares(shape.Connections, endpoints.Count);
        // The nodes' processes in order, when the bench started them (Redis and its replicas first).
        var nodes = target.ServerProcesses.Where(p => p.Name != RedisProcess.Name).ToList();
        var errors = new ErrorLog();
        var acks = new PublisherAcks();
        var workers = new List<IdleWorkerProcess>();
        var publisher = await LoadConnection.OpenAsync(endpoints[0], "publisher", acks.OnEvent, errors);
        try
        {
            // One broadcast first, so that its code paths are warm before the baseline.
            await acks.PublishAsync(publisher, 0, "warm-up", cancellationToken);
            await Task.Delay(ConnectionsRound.Settle, cancellationToken);
            var before = await ReadMemoryAsync(nodes, endpoints);

            var connecting = Stopwatch.GetTimestamp();
            var bare = endpoints[0].Protocol == RawSocket.Protocol;
            for (var i = 0; i < endpoints.Count; i++)
            {
                workers.Add(IdleWorkerProcess.Start(endpoints[i].Url, shares[i], bare, $"load process {i + 1} (node {i + 1})", errors));
            }

            // A copy for the progress line, which reads it from its own thread.
            IdleWorkerProcess[] started = [.. workers];
            progress.Show($"{label}: connecting over {endpoints.Count} nodes (sends = connects)", () => (started.Sum(w => w.Open), 0));

            var perNode = await Task.WhenAll(workers.Select(w => w.Connected)).WaitAsync(ConnectTimeout, cancellationToken);
            var connectSeconds = Stopwatch.GetElapsedTime(connecting).TotalSeconds;
            var connected = perNode.Sum();
            if (nodes.FirstOrDefault(p => p.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"{exited.Name} exited while {connected:N0} connections were open:\n{exited.Output}");
            }

            // Idle for the round's duration before the nodes' memory is read.
            progress.Show($"{label}: {connected:N0} connected over {endpoints.Count} nodes, idle", static () => default);
            await Task.Delay(shape.Duration, cancellationToken);
            var after = await ReadMemoryAsync(nodes, endpoints);

            var times = new List<double?>();
            // The nodes' own CPU time from the send to the last arrival, summed: what a broadcast costs the servers.
            var nodeCpu = new List<double?>();
            // And the load processes' own, which share the same 2 cores: reading 95,000 frames is not free either.
            var loadCpu = new List<double?>();
            long missed = 0;
            for (var b = 1; b <= ConnectionsRound.Broadcasts && connected > 0; b++)
            {
                progress.Show($"{label}: broadcast {b} to {connected:N0}", static () => default);
                var reached = await Task.WhenAll(workers.Select(w => w.ExpectAsync(b, cancellationToken)));
                var cpuBefore = nodes.Sum(p => p.CpuTime.TotalMilliseconds);
                var loadCpuBefore = workers.Sum(w => w.CpuTime.TotalMilliseconds);
                var sent = Stopwatch.GetTimestamp();
                await acks.PublishMarkAsync(publisher, b, errors, cancellationToken);

                var all = Task.WhenAll(reached);
                var done = await Task.WhenAny(all, Task.Delay(ConnectionsRound.BroadcastTimeout, cancellationToken));
                var complete = done == all && all.IsCompletedSuccessfully;
                times.Add(complete ? Stopwatch.GetElapsedTime(sent, all.Result.Max()).TotalMilliseconds : null);
                nodeCpu.Add(complete && nodes.Count > 0 ? nodes.Sum(p => p.CpuTime.TotalMilliseconds) - cpuBefore : null);
                loadCpu.Add(complete ? workers.Sum(w => w.CpuTime.TotalMilliseconds) - loadCpuBefore : null);
                foreach (var tally in await Task.WhenAll(workers.Select(w => w.TallyAsync(cancellationToken))))
                {
                    missed += tally.Connected - tally.Reached;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            var perNodeKiB = Enumerable.Range(0, endpoints.Count).Select(i => NodeMemory.PerConnectionKiB(before[i].ResidentBytes, after[i].ResidentBytes, perNode[i])).ToList();
            Console.Error.WriteLine($"{label}: {connected:N0} connections from {workers.Count} load processes; by node {string.Join(", ", perNode.Select(n => n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}, " +
                $"RSS KiB per connection by node {string.Join(", ", perNodeKiB.Select(k => k?.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) ?? "–"))}.");
            return
            [
                ConnectionsRound.Result(variant, round, connectSeconds, acks, times, nodeCpu, missed, errors, connected) with
                {
                    LoadProcesses = workers.Count,
                    BroadcastLoadCpuMs = times.All(t => t is not null) ? Statistics.Median(loadCpu) : null,
                    MemoryPerConnectionKiB = NodeMemory.PerConnectionKiB(Sum(before, m => m.ResidentBytes), Sum(after, m => m.ResidentBytes), connected),
                    NodeMemoryPerConnectionKiB = perNodeKiB,
                    HeapPerConnectionKiB = NodeMemory.PerConnectionKiB(Sum(before, m => m.HeapBytes), Sum(after, m => m.HeapBytes), connected),
                },
            ];
        }
        finally
        {
            progress.Show($"{label}: closing", static () => default);
            await publisher.DisposeAsync();
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            await target.EndRoundAsync();
        }
    }

    /// <summary>
    /// <paramref name="total"/> split evenly over <paramref name="nodes"/>, each share capped by the
    /// open-files limit, which a node and its load process both have (one file per connection in each).
    /// </summary>
    private static int[] Shares(int total, int nodes)
    {
        var even = (total + nodes - 1) / nodes;
        var cap = ConnectionsRound.Capped(even);
        if (cap < even)
        {
            Console.Error.WriteLine($"That is per node and per load process: {cap * nodes:N0} connections over {nodes} nodes of the {total:N0} asked for; more nodes would hold more.");
        }

        return [.. Enumerable.Range(0, nodes).Select(i => Math.Min(cap, (total / nodes) + (i < total % nodes ? 1 : 0)))];
    }

    private async Task<NodeMemory[]> ReadMemoryAsync(IReadOnlyList<ChildProcess> nodes, IReadOnlyList<Endpoint> endpoints) =>
        await Task.WhenAll(endpoints.Select((e, i) => NodeMemory.ReadAsync(
            i < nodes.Count ? nodes[i] : null,
            e.Url.Scheme == "http" ? new Uri(e.Url, "/metrics") : null,
            cancellationToken)));

    private static long? Sum(NodeMemory[] memory, Func<NodeMemory, long?> value) =>
        memory.All(m => value(m) is not null) ? memory.Sum(m => value(m)!.Value) : null;
}
