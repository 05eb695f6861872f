using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// One round: start the target with a variant's settings, connect, send through one measured
/// window (or the steps of a ramp, each with its own warm-up and window), then stop sending and
/// check that every receiver got every accepted message.
/// </summary>
internal sealed class LoadRound(IBenchTarget target, LoadShape shape, ProgressLine progress, CancellationToken cancellationToken) : IRound
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);
    private const int StalledReceiveBufferBytes = 4096;

    public async Task<IReadOnlyList<RoundResult>> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        var members = shape.MemberNodesOf(endpoints.Count);
        var errors = new ErrorLog();
        var phase = new LoadPhase();
        var load = new Load(variant, round, errors, phase, [], [], endpoints, [.. Enumerable.Range(members, endpoints.Count - members)]);
        var stalled = new List<ILoadSocket>();
        try
        {
            // One at a time, so a failure leaves nothing half-open behind it; a few hundred connects take a second or two.
            for (var i = 0; i < shape.Receivers; i++)
            {
                var node = i % members;
                var sameNode = Enumerable.Range(0, shape.Publishers).Select(p => PublisherNode(p, members) == node).ToArray();
                var group = shape.Groups > 0 ? LoadGroups.OfReceiver(i, members, shape.Groups) : -1;
                load.Receivers.Add(await Receiver.ConnectAsync(endpoints[node], i, sameNode, group, phase, errors));
            }

            // Members of groups past the ones the publishers send to, each its own: presence on every
            // other node, and not one message for it. The loss check holds them to receiving nothing.
            var quiet = 0;
            foreach (var node in load.Watched)
            {
                for (var q = 0; q < shape.QuietMembers; q++, quiet++)
                {
                    var sameNode = new bool[shape.Publishers];
                    load.Receivers.Add(await Receiver.ConnectAsync(endpoints[node], shape.Receivers + quiet, sameNode, shape.Groups + quiet, phase, errors));
                }
            }

            for (var i = 0; i < shape.Stalled; i++)
            {
                stalled.Add(await endpoints[i % endpoints.Count].ConnectAsync(StalledReceiveBufferBytes, cancellationToken));
            }

            for (var i = 0; i < shape.Publishers; i++)
            {
                var endpoint = endpoints[PublisherNode(i, members)];
                load.Publishers.Add(await Publisher.ConnectAsync(shape.ApiCallers ? ApiCaller.EndpointOf(endpoint) : endpoint, i, shape.Window, shape.TextLength, shape.Groups, phase, errors));
            }

            progress.Show($"{label}: warm-up", () => (load.Publishers.Sum(p => p.Accepted), load.Receivers.Sum(r => r.Deliveries)));
            var results = shape.Ramp is { } ramp
                ? await RampAsync(load, ramp, label)
                : [await StepAsync(load, null, shape.Rate > 0 ? shape.Rate : null, label, sampleRoundTrips: true)];

            progress.Show($"{label}: counting losses");
            var losses = await CountLossesAsync(load.Receivers, load.Publishers);

            // Losses are only known for the whole round: they go with its last step.
            return [.. results[..^1], results[^1] with { Losses = losses, Accepted = load.Publishers.Sum(p => p.Accepted) }];
        }
        finally
        {
            foreach (var connection in load.Publishers.Cast<IAsyncDisposable>().Concat(load.Receivers).Concat(stalled))
            {
                await connection.DisposeAsync();
            }

            await target.EndRoundAsync();
        }
    }

    private int PublisherNode(int publisher, int nodes) => shape.ApiCallers ? 0 : publisher % nodes;

    /// <summary>Steps up the rate until the servers stop keeping up, then runs the fractions of the last rate they kept up with.</summary>
    private async Task<List<RoundResult>> RampAsync(Load load, RampPlan ramp, string label)
    {
        var results = new List<RoundResult>();
        double? saturation = null;
        var rate = ramp.StartRate;
        for (var step = 0; step < ramp.MaxSteps; step++, rate *= ramp.Factor)
        {
            var result = await StepAsync(load, $"ramp {rate:0}/s", rate, label, sampleRoundTrips: false);
            if (ramp.ReadLateStepsAgain && Delivered(result, rate) && result.LatencyP99Ms > ramp.P99LimitMs)
            {
                // Kept apart from the step's series (no verdict), and the step read again.
                results.Add(result with { Step = $"{result.Step}, first reading (p99 over, read again)" });
                result = await StepAsync(load, $"ramp {rate:0}/s", rate, label, sampleRoundTrips: false);
            }

            var keptUp = Delivered(result, rate) && result.LatencyP99Ms <= ramp.P99LimitMs;
            results.Add(result with { WithinLimit = keptUp });
            if (!keptUp)
            {
                break;
            }

            saturation = rate;
        }

        if (saturation is null)
        {
            load.Errors.Add($"{label}: even the ramp's first rate ({ramp.StartRate:0}/s) was more than the servers kept up with.");
            return results;
        }

        foreach (var fraction in ramp.Fractions)
        {
            results.Add(await StepAsync(load, $"{fraction * 100:0} % of saturation", saturation.Value * fraction, label, sampleRoundTrips: false));
        }

        return results;
    }

    // Without errors, and about all of what the step offered sent and delivered.
    private bool Delivered(RoundResult result, double rate) =>
        result.Errors == 0
        && result.SendsPerSecond >= rate * RampPlan.KeptUp
        && result.DeliveriesPerSecond >= rate * shape.DeliveriesPerMessage * RampPlan.KeptUp;

    /// <summary>Publishes at <paramref name="rate"/> (null: closed loop) through a warm-up and a measured window, then lets the calls in flight land.</summary>
    private async Task<RoundResult> StepAsync(Load load, string? step, double? rate, string label, bool sampleRoundTrips)
    {
        var stepLabel = step is null ? label : $"{label}, {step}";
        var errorsBefore = load.Errors.Count;
        progress.Show($"{stepLabel}: warm-up");
        using var stop = new CancellationTokenSource();
        var sending = load.Publishers.Select(p => p.RunAsync(shape.MessagesPerPublisher, (rate ?? 0) / shape.Publishers, stop.Token)).ToArray();
        await Task.Delay(shape.Warmup, cancellationToken);

        progress.Show($"{stepLabel}: measuring");
        var before = await RoundSnapshot.TakeAsync(target, load.Publishers, load.Receivers, load.Endpoints, load.Watched, cancellationToken);
        load.Phase.Measuring = true;
        await Task.Delay(shape.Duration, cancellationToken);
        load.Phase.Measuring = false;
        var after = await RoundSnapshot.TakeAsync(target, load.Publishers, load.Receivers, load.Endpoints, load.Watched, cancellationToken);

        var roundTrips = sampleRoundTrips ? await SampleRoundTripsAsync(load.Publishers, stepLabel) : null;

        progress.Show($"{stepLabel}: draining");
        await stop.CancelAsync();
        await Task.WhenAll(sending).WaitAsync(StopTimeout, cancellationToken);
        await Task.WhenAll(load.Publishers.Select(p => p.DrainAsync()));

        // A step past saturation leaves a backlog on its way to the receivers; the next step starts without it.
        await CountLossesAsync(load.Receivers, load.Publishers);

        var latency = new LatencyTotals();
        foreach (var receiver in load.Receivers)
        {
            latency.Add(receiver.TakeLatency());
        }

        var rtt = new LatencyHistogram();
        foreach (var publisher in load.Publishers)
        {
            rtt.Add(publisher.TakeRoundTrip());
        }

        return Result(load, step, rate, before, after, roundTrips, latency, rtt, load.Errors.Count - errorsBefore);
    }

    private async Task<(IReadOnlyDictionary<string, long> Commands, long Messages)?> SampleRoundTripsAsync(List<Publisher> publishers, string label)
    {
        if (shape.RoundTripSample <= TimeSpan.Zero || target.Redis.Count == 0)
        {
            return null;
        }

        progress.Show($"{label}: counting round trips");
        var before = publishers.Sum(p => p.Accepted);
        var commands = await RedisMonitor.SampleAsync(target.Redis, shape.RoundTripSample);
        return (commands, publishers.Sum(p => p.Accepted) - before);
    }

    /// <summary>Waits, bounded, for every receiver to catch up, then counts what each one is still missing.</summary>
    private static async Task<long> CountLossesAsync(List<Receiver> receivers, List<Publisher> publishers)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DeliveryTimeout.TotalSeconds * Stopwatch.Frequency);
        long missing;
        while ((missing = Missing(receivers, publishers)) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }

        return missing;
    }

    private static long Missing(List<Receiver> receivers, List<Publisher> publishers) =>
        receivers.Sum(r => publishers.Select((p, i) => Math.Max(0, p.AcceptedFor(r.Group) - r.Received(i))).Sum());

    private static RoundResult Result(
        Load load,
        string? step,
        double? rate,
        RoundSnapshot before,
        RoundSnapshot after,
        (IReadOnlyDictionary<string, long> Commands, long Messages)? roundTrips,
        LatencyTotals latency,
        LatencyHistogram rtt,
        long errors)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var messages = after.Accepted - before.Accepted;
        var deliveries = after.Deliveries - before.Deliveries;
        var commands = after.Commands?.Since(before.Commands!);
        var cpu = (after.ServerCpu - before.ServerCpu).TotalSeconds;
        var redisCpu = (after.RedisCpu - before.RedisCpu).TotalSeconds;
        var benchCpu = (after.BenchCpu - before.BenchCpu).TotalSeconds;
        return new RoundResult
        {
            Variant = load.Variant.Name,
            Round = load.Round,
            Step = step,
            OfferedRate = rate,
            Seconds = seconds,
            Accepted = load.Publishers.Sum(p => p.Accepted),
            Messages = messages,
            SendsPerSecond = messages / seconds,
            DeliveriesPerSecond = deliveries / seconds,
            Losses = 0,
            Errors = errors,
            ErrorSamples = errors > 0 ? load.Errors.Samples : [],
            LatencyP50Ms = latency.All.Milliseconds(50),
            LatencyP99Ms = latency.All.Milliseconds(99),
            LatencyP999Ms = latency.All.Milliseconds(99.9),
            SameNodeP50Ms = latency.SameNode.Milliseconds(50),
            SameNodeP99Ms = latency.SameNode.Milliseconds(99),
            CrossNodeP50Ms = latency.CrossNode.Milliseconds(50),
            CrossNodeP99Ms = latency.CrossNode.Milliseconds(99),
            SendRttP50Ms = rtt.Milliseconds(50),
            SendRttP99Ms = rtt.Milliseconds(99),
            ServerCpuCores = cpu > 0 ? cpu / seconds : null,
            RedisCpuCores = redisCpu > 0 ? redisCpu / seconds : null,
            BenchCpuCores = benchCpu / seconds,
            ServerCpuMicrosPerDelivery = cpu > 0 && deliveries > 0 ? cpu * 1e6 / deliveries : null,
            RedisCpuMicrosPerMessage = redisCpu > 0 && messages > 0 ? redisCpu * 1e6 / messages : null,
            IdleNodeCpuMicrosPerMessage = PerIdleNode(before, after, s => s.Cpu?.TotalSeconds * 1e6, messages),
            IdleNodeBusMessagesPerMessage = PerIdleNode(before, after, s => s.BusMessages, messages),
            RedisCommandsPerMessage = PerMessage(commands?.Total, messages),
            RedisCommandsPerMessageByName = PerMessage(commands?.Calls, messages),
            RedisRoundTripsPerMessage = PerMessage(roundTrips?.Commands.Values.Sum(), roundTrips?.Messages ?? 0),
            RedisRoundTripsPerMessageByName = PerMessage(roundTrips?.Commands, roundTrips?.Messages ?? 0),
        };
    }

    /// <summary>What a node with no recipient spent or took in the window, per message sent: the mean over those nodes; null without any, or when one is unknown.</summary>
    private static double? PerIdleNode(RoundSnapshot before, RoundSnapshot after, Func<NodeSample, double?> value, long messages)
    {
        var spent = before.Watched.Zip(after.Watched, (b, a) => value(a) - value(b)).ToList();
        return spent.Count == 0 || messages == 0 || spent.Any(s => s is null) ? null : spent.Average(s => s!.Value) / messages;
    }

    private static double? PerMessage(long? count, long messages) => count is null || messages == 0 ? null : (double)count / messages;

    private static Dictionary<string, double>? PerMessage(IReadOnlyDictionary<string, long>? counts, long messages) =>
        counts is null || messages == 0 ? null : counts.OrderByDescending(c => c.Value).ToDictionary(c => c.Key, c => (double)c.Value / messages);

    /// <summary>The connections of one round and what they share; <paramref name="Watched"/> are the nodes with no recipient (0-based).</summary>
    private sealed record Load(
        Variant Variant,
        int Round,
        ErrorLog Errors,
        LoadPhase Phase,
        List<Receiver> Receivers,
        List<Publisher> Publishers,
        IReadOnlyList<Endpoint> Endpoints,
        IReadOnlyList<int> Watched);
}
