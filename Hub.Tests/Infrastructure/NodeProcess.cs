namespace Hub.Tests.Infrastructure;

/// <summary>
/// A Hub node in its own process (the Hub.Server build beside the tests, started by
/// <see cref="ServerProcess"/>), for tests where a death must be real: <see cref="KillAsync"/> is
/// SIGKILL, so no disconnect handler and no shutdown code of the node runs.
/// </summary>
public sealed class NodeProcess : HubNode, IAsyncDisposable
{
    private readonly ServerProcess _server;

    private NodeProcess(ServerProcess server, string nodeId) : base(server.BaseUrl, nodeId)
    {
        _server = server;
    }

    /// <summary>All the node wrote to stdout and stderr, for tests of its log and for failure messages.</summary>
    public string Output => _server.Process.Output;

    /// <param name="untilReady">
    /// Return once the hub takes connections (Redis connected, the bus subscribed); false: once
    /// the process answers at all (/healthz), for a node that starts without its Redis.
    /// </param>
    public static async Task<NodeProcess> StartAsync(string nodeId, IReadOnlyDictionary<string, string?> settings, bool untilReady = true)
    {
        var all = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub:NodeId"] = nodeId,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var server = await ServerProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "Hub.Server.dll"), $"node {nodeId}", all,
            untilReady ? Readiness.HubNegotiate : Readiness.Alive, keptLines: int.MaxValue);
        return new NodeProcess(server, nodeId);
    }

    /// <summary>SIGKILL: the node dies at once, as in a crash or an OOM kill.</summary>
    public Task KillAsync() => _server.Process.KillAsync();

    /// <summary>SIGTERM, as an orchestrator stops a node: it drains, then exits.</summary>
    public void Terminate() => _server.Process.Terminate();

    /// <summary>SIGSTOP: the node stops reading anything, its connections stay open.</summary>
    public void Pause() => _server.Process.Pause();

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => _server.Process.Continue();

    /// <summary>Waits, bounded, for the process to end; returns its exit code.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _server.Process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
