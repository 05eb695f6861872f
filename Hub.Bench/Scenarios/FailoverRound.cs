using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// One failover round: <see cref="LoadShape.Connections"/> receivers in groups, spread evenly
/// over the nodes; publishers on the first node sending to the groups at a steady rate; after
/// the warm-up and a measured window with every node up, one node is killed (SIGKILL, no drain).
/// Its clients come back on the others as Hub.Client would (<see cref="ResumingReceiver"/>); the
/// round times each until its resume answered, watches the survivors (readiness, CPU, what they
/// refuse) and, once the publishers stopped, checks that every receiver got every message
/// accepted for its group exactly once and in order. The killed node's clients live in a load
/// process of their own (<see cref="FailoverWorker"/>): their storm of reconnects, and the
/// collections it costs, would otherwise be in every latency the bench reads for the others.
/// </summary>
internal sealed class FailoverRound(IBenchTarget target, LoadShape shape, ProgressLine progress, CancellationToken cancellationToken) : IRound
{
    private const int ConnectParallel = 32;
    private const int PublisherNode = 0;
    private static readonly TimeSpan HealthProbeInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ResumedPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly FailoverPlan _plan = shape.Failover ?? throw new ArgumentException("A failover round needs a failover plan.", nameof(shape));

    public async Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        if (!target.AppliesVariants)
        {
            throw new InvalidOperationException("The failover scenario kills a node: it runs on nodes the bench starts itself, not with --url.");
        }

        if (shape.Protocol != JsonHubCodec.Instance.Name)
        {
            throw new InvalidOperationException("The failover scenario resumes streams over SignalR json only (--protocol json).");
        }

        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        if (endpoints.Count < 2 || _plan.KillNode <= 0 || _plan.KillNode >= endpoints.Count)
        {
            throw new InvalidOperationException($"The failover scenario kills node {_plan.KillNode + 1} of {endpoints.Count} and publishes through node 1: it needs at least {Math.Max(2, _plan.KillNode + 1)} nodes (--nodes).");
        }

        var errors = new ErrorLog();
        var phase = new LoadPhase();
        var log = new FailoverLog(_plan.KillNode);
        var total = FileLimitedCount(shape.Connections);
        var stayIndexes = Enumerable.Range(0, total).Where(i => i % endpoints.Count != _plan.KillNode).ToList();
        var receivers = new ResumingReceiver?[stayIndexes.Count];
        var publishers = new List<Publisher>();
        FailoverWorkerProcess? movers = null;
        try
        {
            movers = FailoverWorkerProcess.Start(_plan.KillNode, shape.Publishers, endpoints.Select(e => e.Url), errors);
            var moving = movers.ConnectAsync(total, shape.Groups, ConnectTimeout, cancellationToken);
            var connected = 0;
            progress.Show($"{label}: connecting (deliveries = clients)", () => (0, Volatile.Read(ref connected) + movers.Open));
            await Parallel.ForAsync(0, receivers.Length, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallel, CancellationToken = cancellationToken }, async (k, token) =>
            {
                var i = stayIndexes[k];
                var node = i % endpoints.Count;
                receivers[k] = await ResumingReceiver.ConnectAsync(
                    endpoints, node, i, LoadGroups.OfReceiver(i, endpoints.Count, shape.Groups), shape.Publishers, phase, log, errors, token);
                Interlocked.Increment(ref connected);
            });

            var movedCount = await moving;
            var stayed = receivers.Select(r => r!).ToList();

            // The connects leave the bench's heap full of garbage and young objects that will live
            // for the round: collected now, not in a pause inside the measured time, which every
            // client's latency would carry.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            for (var i = 0; i < shape.Publishers; i++)
            {
                publishers.Add(await Publisher.ConnectAsync(endpoints[PublisherNode], i, shape.Window, shape.TextLength, shape.Groups, phase, errors));
            }

            return [await FailOverAsync(variant, round, label, endpoints, stayed, new Movers(movers, movedCount), publishers, phase, log, errors)];
        }
        finally
        {
            progress.Show($"{label}: closing");
            foreach (var publisher in publishers)
            {
                await publisher.DisposeAsync();
            }

            if (movers is not null)
            {
                await movers.DisposeAsync();
            }

            await Parallel.ForEachAsync(receivers, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallel }, async (r, _) =>
            {
                if (r is not null)
                {
                    await r.DisposeAsync();
                }
            });
            await target.EndRoundAsync();
        }
    }

    private async Task<RoundResult> FailOverAsync(
        Variant variant, int round, string label, IReadOnlyList<Endpoint> endpoints, List<ResumingReceiver> receivers, Movers moved, List<Publisher> publishers, LoadPhase phase, FailoverLog log, ErrorLog errors)
    {
        var nodes = target.ServerProcesses.Where(p => p.Name != RedisProcess.Name).ToList();
        var survivors = target.ServerProcesses.Where(p => p.Name == RedisProcess.Name || nodes.IndexOf(p) != _plan.KillNode).ToList();
        using var stop = new CancellationTokenSource();
        var sending = Task.WhenAll(publishers.Select(p => p.RunAsync(0, shape.Rate / publishers.Count, stop.Token)));
        long Accepted() => publishers.Sum(p => p.Accepted);
        progress.Show($"{label}: warm-up", () => (Accepted(), 0));
        await Task.Delay(shape.Warmup, cancellationToken);

        progress.Show($"{label}: all nodes up", () => (Accepted(), 0));
        phase.Measuring = true;
        var before = Cpu(survivors);
        var benchBefore = Environment.CpuUsage.TotalTime + moved.Process.CpuTime;
        var benchPauseBefore = GC.GetTotalPauseDuration();
        await Task.Delay(shape.Duration, cancellationToken);
        var atKill = Cpu(survivors);

        log.MarkKill();
        await moved.Process.MarkKillAsync(log.KilledAt, cancellationToken);
        await target.KillNodeAsync(_plan.KillNode);
        var acceptedAtKill = Accepted();
        using var probing = new CancellationTokenSource();
        var health = ProbeSurvivorsAsync(endpoints, probing.Token);
        var resumedCount = 0;
        progress.Show($"{label}: node {_plan.KillNode + 1} killed, clients resumed (deliveries)", () => (Accepted(), Volatile.Read(ref resumedCount)));
        var deadline = Stopwatch.GetTimestamp() + (long)(_plan.ResumeTimeout.TotalSeconds * Stopwatch.Frequency);
        while (resumedCount < moved.Count && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(ResumedPollInterval, cancellationToken);
            Volatile.Write(ref resumedCount, await moved.Process.ResumedAsync(cancellationToken));
        }

        log.EndStorm();
        var afterStorm = Cpu(survivors);
        var benchCpu = Environment.CpuUsage.TotalTime + moved.Process.CpuTime - benchBefore;
        var benchPause = GC.GetTotalPauseDuration() - benchPauseBefore;
        await probing.CancelAsync();
        var healthy = await health && survivors.All(p => !p.HasExited);

        progress.Show($"{label}: after the storm", () => (Accepted(), 0));
        await Task.Delay(_plan.After, cancellationToken);
        phase.Measuring = false;

        progress.Show($"{label}: draining");
        await stop.CancelAsync();
        await sending.WaitAsync(StopTimeout, cancellationToken);
        await Task.WhenAll(publishers.Select(p => p.DrainAsync()));
        progress.Show($"{label}: counting losses");
        var losses = await CountLossesAsync(receivers, moved.Process, publishers, cancellationToken);
        var report = await moved.Process.ReportAsync(cancellationToken);

        var sendRtt = new LatencyHistogram();
        foreach (var publisher in publishers)
        {
            sendRtt.Add(publisher.TakeRoundTrip());
        }

        var resumed = Sorted(report.ResumedAfterKill);
        var connected = Sorted(report.ConnectedAfterKill);
        var rejoinResume = Sorted(report.ResumedAfterKill.Zip(report.ConnectedAfterKill, (r, c) => r - c));
        var refusals = log.Refusals.Concat(report.Refusals).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));
        var admitted = log.AdmittedByNode.Concat(report.AdmittedByNode).GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.Sum(a => a.Value));
        var stormSeconds = Stopwatch.GetElapsedTime(atKill.Timestamp, afterStorm.Timestamp).TotalSeconds;
        var beforeSeconds = Stopwatch.GetElapsedTime(before.Timestamp, atKill.Timestamp).TotalSeconds;
        var notResumed = moved.Count - resumed.Count;
        if (notResumed > 0)
        {
            errors.Add($"{notResumed} of the killed node's {moved.Count} clients were not back and resumed {_plan.ResumeTimeout.TotalSeconds:0} s after the kill.");
        }

        if (!healthy)
        {
            errors.Add("A surviving node exited or failed a readiness probe during the storm.");
        }

        return new RoundResult
        {
            Variant = variant.Name,
            Round = round,
            Seconds = beforeSeconds + stormSeconds,
            Accepted = Accepted(),
            Messages = Accepted() - acceptedAtKill,
            SendsPerSecond = 0,
            DeliveriesPerSecond = 0,
            Losses = losses,
            Errors = errors.Count,
            ErrorSamples = errors.Count > 0 ? errors.Samples : [],
            MovedClients = moved.Count,
            ResumedP50Seconds = Percentile(resumed, 0.50),
            ResumedP99Seconds = Percentile(resumed, 0.99),
            ResumedMaxSeconds = resumed.Count > 0 ? resumed[^1] : null,
            LostMaxSeconds = report.LostAfterKill.Max(),
            ConnectedP50Seconds = Percentile(connected, 0.50),
            ConnectedMaxSeconds = connected.Count > 0 ? connected[^1] : null,
            RejoinResumeP50Seconds = Percentile(rejoinResume, 0.50),
            RejoinResumeMaxSeconds = rejoinResume.Count > 0 ? rejoinResume[^1] : null,
            NotResumed = notResumed,
            NotRecovered = report.NotRecovered,
            StayedP99BeforeMs = log.Before.Milliseconds(99),
            StayedP99StormMs = log.Storm.Milliseconds(99),
            StayedP99AfterMs = log.After.Milliseconds(99),
            LatencyP50Ms = log.Storm.Milliseconds(50),
            BenchCpuCores = benchCpu.TotalSeconds / (beforeSeconds + stormSeconds),
            BenchGcPauseMs = benchPause.TotalMilliseconds,
            SendRttP50Ms = sendRtt.Milliseconds(50),
            SendRttP99Ms = sendRtt.Milliseconds(99),
            PeakConnectsPerSecond = Math.Max(log.PeakAdmittedPerSecond, report.PeakAdmittedPerSecond),
            AdmittedByNode = admitted.OrderBy(a => a.Key).ToDictionary(a => $"node {a.Key + 1}", a => a.Value),
            ReconnectAttempts = log.Attempts + report.Attempts,
            SurvivorRefusals = refusals.Where(r => !r.Key.StartsWith(FailoverLog.KilledNodePrefix, StringComparison.Ordinal)).Sum(r => r.Value),
            RefusalReasons = refusals,
            SurvivorCpuBeforeCores = (atKill.Cpu - before.Cpu).TotalSeconds / beforeSeconds,
            SurvivorCpuStormCores = (afterStorm.Cpu - atKill.Cpu).TotalSeconds / stormSeconds,
            SurvivorsHealthy = healthy ? 1 : 0,
            DuplicatesDropped = log.DuplicatesDropped + report.DuplicatesDropped,
        };
    }

    /// <summary>Probes each surviving node's readiness until cancelled; false once any probe failed.</summary>
    private async Task<bool> ProbeSurvivorsAsync(IReadOnlyList<Endpoint> endpoints, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var probes = endpoints.Where((_, i) => i != _plan.KillNode).Select(e => new Uri(e.Url, "/readyz")).ToList();
        var healthy = true;
        while (!stop.IsCancellationRequested)
        {
            foreach (var probe in probes)
            {
                try
                {
                    using var response = await http.GetAsync(probe, cancellationToken);
                    healthy &= response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    healthy = false;
                }
            }

            await Task.Delay(HealthProbeInterval, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return healthy;
    }

    /// <summary>Waits, bounded, for every receiver (here and in the moved clients' process) to catch up, then counts what each one is still missing.</summary>
    private async Task<long> CountLossesAsync(List<ResumingReceiver> receivers, FailoverWorkerProcess movers, List<Publisher> publishers, CancellationToken cancellationToken)
    {
        var accepted = publishers.Select(p => Enumerable.Range(0, shape.Groups).Select(p.AcceptedFor).ToArray()).ToList();
        await movers.AcceptedAsync(accepted);
        var deadline = Stopwatch.GetTimestamp() + (long)(DeliveryTimeout.TotalSeconds * Stopwatch.Frequency);
        long missing;
        while ((missing = receivers.Sum(r => accepted.Select((a, i) => Math.Max(0, a[r.Group] - r.Received(i))).Sum())
            + await movers.MissingAsync(cancellationToken)) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        return missing;
    }

    private static (long Timestamp, TimeSpan Cpu) Cpu(IEnumerable<ChildProcess> processes) =>
        (Stopwatch.GetTimestamp(), processes.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime));

    private static List<double> Sorted(IEnumerable<double?> seconds) => [.. seconds.OfType<double>().Order()];

    private static double? Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Every client is a file in the bench, and they all live in it: the open-files limit must leave room for them.</summary>
    private static int FileLimitedCount(int wanted)
    {
        var limits = FileLimit.Raise(wanted + FileLimit.Reserve);
        return limits is { Soft: var soft } && soft - FileLimit.Reserve < wanted
            ? throw new InvalidOperationException($"The open-files limit ({soft:N0}) leaves room for {soft - FileLimit.Reserve:N0} clients, not the {wanted:N0} asked for (--connections).")
            : wanted;
    }

    /// <summary>The killed node's clients: their load process, and how many it holds.</summary>
    private sealed record Movers(FailoverWorkerProcess Process, int Count);
}
