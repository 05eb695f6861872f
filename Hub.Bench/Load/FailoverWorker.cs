using System.Globalization;
using System.Text.Json;

namespace Hub.Bench.Load;

/// <summary>
/// The bench re-launched as the load process of a failover round's moved clients
/// (<c>failover-worker KILL-NODE PUBLISHERS URL…</c>): the clients of the node the round kills,
/// in a process of their own, so that their reconnect storm (thousands of handshakes, their
/// buffers, their collections) is not in the latencies the bench reads for the clients that stay.
/// It answers the bench over stdin and stdout, one line each:
/// <list type="bullet">
/// <item><c>connect TOTAL GROUPS</c>: it connects the receivers of the round's TOTAL whose node is
/// KILL-NODE (<see cref="ResumingReceiver"/>, each joined to its group), writing <c>open N</c>, then <c>connected N</c>;</item>
/// <item><c>kill TIMESTAMP</c>: the bench is about to kill the node, at that <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp (CLOCK_MONOTONIC, the same in every process); it answers <c>killed</c>;</item>
/// <item><c>resumed</c> is answered with <c>resumed N</c>, the clients back and resumed so far;</item>
/// <item><c>accepted P C0 C1 …</c>: publisher P's accepted messages per group, once the publishers stopped;
/// <c>missing</c> is then answered with <c>missing N</c>, the messages its clients still lack of them;</item>
/// <item><c>report</c> is answered with <c>report JSON</c> (<see cref="FailoverWorkerReport"/>);
/// <c>error TEXT</c> whenever something fails; <c>stop</c> or the end of stdin ends it.</item>
/// </list>
/// </summary>
internal static class FailoverWorker
{
    public const string Command = "failover-worker";

    private const int ConnectParallel = 32;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    public static IReadOnlyList<string> Arguments(int killNode, int publishers, IEnumerable<Uri> nodes) =>
        [Command, killNode.ToString(CultureInfo.InvariantCulture), publishers.ToString(CultureInfo.InvariantCulture), .. nodes.Select(u => u.ToString())];

    /// <returns>The process's exit code: 0 once told to stop, 2 for wrong arguments.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [Command, var killText, var publishersText, .. var urls] || urls.Length < 2
            || !int.TryParse(killText, NumberStyles.None, CultureInfo.InvariantCulture, out var killNode) || killNode >= urls.Length
            || !int.TryParse(publishersText, NumberStyles.None, CultureInfo.InvariantCulture, out var publishers) || publishers < 1
            || urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var url) || !url.IsLoopback))
        {
            await Console.Error.WriteLineAsync($"Usage: {Command} KILL-NODE PUBLISHERS LOOPBACK-URL LOOPBACK-URL… (the bench starts this itself)");
            return 2;
        }

        var endpoints = urls.Select(u => new Uri(u)).Select(u => new Endpoint(u, HubSocket.For(u, JsonHubCodec.Instance))).ToList();
        var errors = new ErrorLog(error => Write($"error {error.ReplaceLineEndings(" ")}"));
        var log = new FailoverLog(killNode);
        var receivers = new List<ResumingReceiver>();
        var accepted = new Dictionary<int, long[]>();
        try
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                switch (line.Split(' '))
                {
                    case ["connect", var total, var groups]:
                        receivers = await ConnectAsync(endpoints, killNode, Number(total), Number(groups), publishers, log, errors);
                        Write($"connected {receivers.Count}");
                        break;
                    case ["kill", var at]:
                        log.MarkKill(long.Parse(at, CultureInfo.InvariantCulture));
                        Write("killed");
                        break;
                    case ["resumed"]:
                        Write($"resumed {receivers.Count(r => r.ResumedAfterKill is not null)}");
                        break;
                    case ["accepted", var publisher, .. var counts]:
                        accepted[Number(publisher)] = [.. counts.Select(c => long.Parse(c, CultureInfo.InvariantCulture))];
                        break;
                    case ["missing"] when accepted.Count == publishers:
                        Write($"missing {receivers.Sum(r => Enumerable.Range(0, publishers).Sum(p => Math.Max(0, accepted[p][r.Group] - r.Received(p))))}");
                        break;
                    case ["report"]:
                        Write("report " + JsonSerializer.Serialize(FailoverWorkerReport.Of(receivers, log)));
                        break;
                    case ["stop"]:
                        return 0;
                    default:
                        Write($"error the failover load process did not understand '{line}'");
                        break;
                }
            }

            return 0;
        }
        finally
        {
            await Parallel.ForEachAsync(receivers, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallel }, async (r, _) => await r.DisposeAsync());
        }
    }

    private static async Task<List<ResumingReceiver>> ConnectAsync(
        List<Endpoint> endpoints, int killNode, int total, int groups, int publishers, FailoverLog log, ErrorLog errors)
    {
        var indexes = Enumerable.Range(0, total).Where(i => i % endpoints.Count == killNode).ToList();
        FileLimit.Raise(indexes.Count + FileLimit.Reserve);
        var receivers = new ResumingReceiver[indexes.Count];
        var phase = new LoadPhase();
        var connected = 0;
        var connecting = Parallel.ForAsync(0, indexes.Count, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallel }, async (k, token) =>
        {
            var i = indexes[k];
            receivers[k] = await ResumingReceiver.ConnectAsync(endpoints, killNode, i, LoadGroups.OfReceiver(i, endpoints.Count, groups), publishers, phase, log, errors, token);
            Interlocked.Increment(ref connected);
        });
        while (await Task.WhenAny(connecting, Task.Delay(ProgressInterval)) != connecting)
        {
            Write($"open {Volatile.Read(ref connected)}");
        }

        await connecting;

        // As in the bench: the connects' garbage collected now, not in a pause inside the storm.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return [.. receivers];
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    // Console.Out is synchronized: lines from the clients' callbacks and the command loop do not interleave.
    private static void Write(string line) => Console.Out.WriteLine(line);
}

/// <summary>What the moved clients' load process saw, for the round's result.</summary>
internal sealed record FailoverWorkerReport(
    double?[] ResumedAfterKill,
    double?[] LostAfterKill,
    double?[] ConnectedAfterKill,
    int NotRecovered,
    long Attempts,
    long DuplicatesDropped,
    int PeakAdmittedPerSecond,
    Dictionary<int, int> AdmittedByNode,
    Dictionary<string, int> Refusals,
    double GcPauseMs)
{
    public static FailoverWorkerReport Of(List<ResumingReceiver> receivers, FailoverLog log) => new(
        [.. receivers.Select(r => r.ResumedAfterKill?.TotalSeconds)],
        [.. receivers.Select(r => r.LostAfterKill?.TotalSeconds)],
        [.. receivers.Select(r => r.ConnectedAfterKill?.TotalSeconds)],
        receivers.Count(r => !r.Recovered),
        log.Attempts,
        log.DuplicatesDropped,
        log.PeakAdmittedPerSecond,
        log.AdmittedByNode.ToDictionary(),
        log.Refusals.ToDictionary(),
        GC.GetTotalPauseDuration().TotalMilliseconds);
}
