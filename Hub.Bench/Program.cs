using System.Runtime.InteropServices;
using Hub.Bench;
using Hub.Bench.Cluster;
using Hub.Bench.Load;
using Hub.Bench.Reporting;
using Hub.Bench.Scenarios;

// "report FILE.json": the table and charts of an earlier run again, without running anything.
if (args is ["report", var resultsPath])
{
    try
    {
        var earlier = ResultsFile.Read(resultsPath);
        ResultsTable.Write(earlier, Console.Out);
        foreach (var chart in Charts.Write(earlier, resultsPath))
        {
            Console.WriteLine($"Chart: {chart}");
        }

        return 0;
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 2;
    }
}

// The bench re-launched as a load process of the connections scenario (one per node with --nodes).
if (args is [IdleWorker.Command, ..])
{
    return await IdleWorker.RunAsync(args);
}

// The bench re-launched as the load process of a failover round's moved clients.
if (args is [FailoverWorker.Command, ..])
{
    return await FailoverWorker.RunAsync(args);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

// Ctrl+C or SIGTERM (a CI timeout) ends the round at its next wait, so the nodes and the
// redis-server the bench started are stopped, not orphaned.
using var cancel = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

Console.Error.WriteLine($"{options.Scenario.Name}: {options.Scenario.Description}");
try
{
    await using var backend = options.Scenario.StartBackendAsync is { } startBackend ? await startBackend() : null;
    await using IBenchTarget target = options.Urls.Count > 0
        ? new ExternalTarget(options.Urls, options.Redis is { } r ? new RedisAdmin(r.Host, r.Port) : null, options.Protocol)
        : await LocalCluster.StartAsync(options.Nodes, options.Protocol, options.Replicas, options.RedisCluster);
    var report = await new ScenarioRunner(options.Scenario, options.Variants, target, options.Load, options.Rounds, options.Smoke).RunAsync(cancel.Token);
    ResultsTable.Write(report, Console.Out);
    var results = ResultsFile.Write(report, options.Out);
    Console.WriteLine($"\nResults: {results}");
    foreach (var chart in Charts.Write(report, results))
    {
        Console.WriteLine($"Chart: {chart}");
    }

    if (!report.Clean)
    {
        Console.Error.WriteLine("Messages were lost, calls failed or nothing was sent: see the table above.");
        return 1;
    }

    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled.");
    return 130;
}
catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException)
{
    // The bench could not set up or run a round (no redis-server, a node that would not start, a refused connection).
    Console.Error.WriteLine($"The bench failed: {ex.Message}");
    return 1;
}
