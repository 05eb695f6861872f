using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// One round: start the target with a variant's settings, connect, send through a warm-up and
/// a measured window, then stop sending and check that every receiver got every accepted message.
/// </summary>
internal sealed class LoadRound(IBenchTarget target, LoadShape shape, ProgressLine progress, CancellationToken cancellationToken)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);
    private const int StalledReceiveBufferBytes = 4096;

    public async Task<RoundResult> RunAsync(Variant variant, int round)
    {
        var label = $"{variant.Name} #{round}";
        progress.Show($"{label}: starting", static () => default);
        var endpoints = await target.StartRoundAsync(variant);
        var errors = new ErrorLog();
        var phase = new LoadPhase();
        var receivers = new List<Receiver>();
        var publishers = new List<Publisher>();
        var stalled = new List<ILoadSocket>();
        try
        {
            // One at a time, so a failure leaves nothing half-open behind it; 20-odd connects take milliseconds.
            for (var i = 0; i < shape.Receivers; i++)
            {
                receivers.Add(await Receiver.ConnectAsync(endpoints[i % endpoints.Count], i, shape.Publishers, phase, errors));
            }

            for (var i = 0; i < shape.Stalled; i++)
            {
                stalled.Add(await endpoints[i % endpoints.Count].ConnectAsync(StalledReceiveBufferBytes, cancellationToken));
            }

            for (var i = 0; i < shape.Publishers; i++)
            {
                publishers.Add(await Publisher.ConnectAsync(endpoints[i % endpoints.Count], i, shape.Window, shape.TextLength, phase, errors));
            }

            progress.Show($"{label}: warm-up", () => (publishers.Sum(p => p.Accepted), receivers.Sum(r => r.Deliveries)));
            using var stop = new CancellationTokenSource();
            var sending = publishers.Select(p => p.RunAsync(shape.MessagesPerPublisher, shape.Rate / shape.Publishers, stop.Token)).ToArray();
            await Task.Delay(shape.Warmup, cancellationToken);

            progress.Show($"{label}: measuring");
            var before = await RoundSnapshot.TakeAsync(target, publishers, receivers);
            phase.Measuring = true;
            await Task.Delay(shape.Duration, cancellationToken);
            phase.Measuring = false;
            var after = await RoundSnapshot.TakeAsync(target, publishers, receivers);

            var roundTrips = await SampleRoundTripsAsync(publishers, label);

            progress.Show($"{label}: draining");
            await stop.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(StopTimeout);
            await Task.WhenAll(publishers.Select(p => p.DrainAsync()));
            var losses = await CountLossesAsync(receivers, publishers);

            return Result(variant, round, before, after, roundTrips, losses, errors, receivers, publishers);
        }
        finally
        {
            foreach (var connection in publishers.Cast<IAsyncDisposable>().Concat(receivers).Concat(stalled))
            {
                await connection.DisposeAsync();
            }

            await target.EndRoundAsync();
        }
    }

    private async Task<(IReadOnlyDictionary<string, long> Commands, long Messages)?> SampleRoundTripsAsync(List<Publisher> publishers, string label)
    {
        if (shape.RoundTripSample <= TimeSpan.Zero || target.Redis is null)
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
        receivers.Sum(r => publishers.Select((p, i) => Math.Max(0, p.Accepted - r.Received(i))).Sum());

    private static RoundResult Result(
        Variant variant,
        int round,
        RoundSnapshot before,
        RoundSnapshot after,
        (IReadOnlyDictionary<string, long> Commands, long Messages)? roundTrips,
        long losses,
        ErrorLog errors,
        List<Receiver> receivers,
        List<Publisher> publishers)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var messages = after.Accepted - before.Accepted;
        var latency = Merge(receivers.Select(r => r.Latency));
        var rtt = Merge(publishers.Select(p => p.RoundTrip));
        var commands = after.Commands?.Since(before.Commands!);
        var cpu = (after.ServerCpu - before.ServerCpu).TotalSeconds;
        var redisCpu = (after.RedisCpu - before.RedisCpu).TotalSeconds;
        var benchCpu = (after.BenchCpu - before.BenchCpu).TotalSeconds;
        return new RoundResult
        {
            Variant = variant.Name,
            Round = round,
            Seconds = seconds,
            Accepted = publishers.Sum(p => p.Accepted),
            Messages = messages,
            SendsPerSecond = messages / seconds,
            DeliveriesPerSecond = (after.Deliveries - before.Deliveries) / seconds,
            Losses = losses,
            Errors = errors.Count,
            ErrorSamples = errors.Samples,
            LatencyP50Ms = latency.Milliseconds(50),
            LatencyP99Ms = latency.Milliseconds(99),
            SendRttP50Ms = rtt.Milliseconds(50),
            SendRttP99Ms = rtt.Milliseconds(99),
            ServerCpuCores = cpu > 0 ? cpu / seconds : null,
            RedisCpuCores = redisCpu > 0 ? redisCpu / seconds : null,
            BenchCpuCores = benchCpu / seconds,
            ServerCpuMicrosPerDelivery = cpu > 0 && after.Deliveries > before.Deliveries ? cpu * 1e6 / (after.Deliveries - before.Deliveries) : null,
            RedisCommandsPerMessage = PerMessage(commands?.Total, messages),
            RedisCommandsPerMessageByName = PerMessage(commands?.Calls, messages),
            RedisRoundTripsPerMessage = PerMessage(roundTrips?.Commands.Values.Sum(), roundTrips?.Messages ?? 0),
            RedisRoundTripsPerMessageByName = PerMessage(roundTrips?.Commands, roundTrips?.Messages ?? 0),
        };
    }

    private static LatencyHistogram Merge(IEnumerable<LatencyHistogram> histograms)
    {
        var all = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            all.Add(histogram);
        }

        return all;
    }

    private static double? PerMessage(long? count, long messages) => count is null || messages == 0 ? null : (double)count / messages;

    private static Dictionary<string, double>? PerMessage(IReadOnlyDictionary<string, long>? counts, long messages) =>
        counts is null || messages == 0 ? null : counts.OrderByDescending(c => c.Value).ToDictionary(c => c.Key, c => (double)c.Value / messages);
}
