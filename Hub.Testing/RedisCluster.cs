namespace Hub.Testing;

/// <summary>
/// A Redis Cluster, as an operator runs one: redis-servers on free loopback ports, made into three
/// masters (for the tests with a replica each, for the bench with none) by
/// <c>redis-cli --cluster create</c>. Nodes are given every server as seeds
/// (<see cref="Configuration"/>), the same <c>Hub:Redis</c> key as for one server. Each server
/// keeps its own directory (its <c>nodes.conf</c>), so one started again there rejoins the cluster.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    public const int Masters = 3;

    /// <summary>
    /// A master silent this long is counted failed and its replica takes over. Short, as Sentinel's
    /// down-after in the tests' Sentinel setup, but not so short that a stall looks like a death.
    /// </summary>
    public const int FailoverNodeTimeoutMilliseconds = 1000;

    // Creating takes about 1 s and agreeing on it another; a busy machine may take a few times that.
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(30);

    // One answer to a readiness probe: a server that does not answer in this long is asked again.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _directory;
    private readonly int _replicasPerMaster;
    private readonly int _nodeTimeoutMilliseconds;
    private readonly List<RedisProcess> _servers = [];

    // Each server's cluster bus port, kept when it starts again, as its peers know it by that.
    private readonly Dictionary<int, int> _busPorts = [];

    private RedisCluster(DirectoryInfo directory, int replicasPerMaster, int nodeTimeoutMilliseconds)
    {
        _directory = directory;
        _replicasPerMaster = replicasPerMaster;
        _nodeTimeoutMilliseconds = nodeTimeoutMilliseconds;
    }

    /// <summary><c>Hub:Redis</c> for a node: every server of the cluster, as seeds.</summary>
    public string Configuration => string.Join(',', _servers.Select(s => s.Configuration));

    public IReadOnlyList<RedisProcess> Servers => _servers;

    /// <summary>Starts the servers, creates the cluster and returns once every server says it is ok and every replica has synced.</summary>
    /// <param name="replicasPerMaster">0 for masters alone (no failover possible), 1 for a replica each.</param>
    /// <param name="nodeTimeoutMilliseconds">How long a silent master takes to be counted failed (<c>cluster-node-timeout</c>).</param>
    /// <exception cref="InvalidOperationException">redis-cli is missing or could not create the cluster.</exception>
    /// <exception cref="TimeoutException">The cluster did not come ready in time.</exception>
    public static async Task<RedisCluster> StartAsync(int replicasPerMaster = 1, int nodeTimeoutMilliseconds = FailoverNodeTimeoutMilliseconds)
    {
        var setup = new RedisCluster(Directory.CreateTempSubdirectory("hub-cluster-"), replicasPerMaster, nodeTimeoutMilliseconds);
        try
        {
            for (var i = 0; i < Masters * (1 + replicasPerMaster); i++)
            {
                setup._servers.Add(await setup.StartNewServerAsync());
            }

            var redisCli = ProgramPath.Require("redis-cli",
                "redis-cli is not installed or not on PATH. It comes with redis-server (Debian: apt-get install -y redis-server).");
            var created = await ChildProcess.RunAsync(redisCli,
                ["--cluster", "create", .. setup._servers.Select(s => s.Configuration), "--cluster-replicas", replicasPerMaster.ToString(), "--cluster-yes"],
                StartWait);
            if (created.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed: {created}");
            }

            await setup.WaitUntilReadyAsync();
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
    }

    /// <summary>The cluster as one server sees it (<c>CLUSTER NODES</c>), one line per server.</summary>
    public async Task<IReadOnlyList<ClusterNode>> NodesAsync(RedisProcess server) =>
        [.. (await server.Admin.CommandAsync("CLUSTER", "NODES"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ClusterNode.Parse)];

    /// <summary>The port of the master that serves <paramref name="slot"/>, as the first server sees it.</summary>
    public async Task<int> MasterOfAsync(int slot) =>
        (await NodesAsync(_servers[0])).FirstOrDefault(n => n.IsMaster && n.Serves(slot))?.Port
        ?? throw new InvalidOperationException($"No master serves slot {slot}.");

    /// <summary>
    /// Empties every master (the replicas follow): a test or a bench round starts on a cluster holding nothing. Each
    /// server is asked whether it is a master now, as a failover may have moved that since the start.
    /// </summary>
    public async Task FlushAllAsync()
    {
        foreach (var server in _servers)
        {
            if ((await server.Admin.CommandAsync("INFO", "replication")).Contains("role:master"))
            {
                await server.Admin.CommandAsync("FLUSHALL");
            }
        }
    }

    /// <summary>The slot of a key or channel name, as the cluster computes it (<c>CLUSTER KEYSLOT</c>).</summary>
    public async Task<int> SlotOfAsync(string name) => int.Parse(await _servers[0].Admin.CommandAsync("CLUSTER", "KEYSLOT", name));

    /// <summary>
    /// Kills the master of <paramref name="slot"/> (SIGKILL, as in a crash) and waits until a
    /// surviving server names its replica the slot's master; then starts the killed one again in its
    /// directory, from whose nodes.conf it rejoins as the new master's replica, and waits until it
    /// has synced, ready for the next round. With <paramref name="replicaLagging"/>, the replica is
    /// cut off (<see cref="CutOffReplicaAsync"/>) that long before the kill and let go on right after
    /// it: the last writes the master accepted never reach it, and the promoted replica lacks them.
    /// <paramref name="killed"/> runs right after the kill; <paramref name="whileDown"/>, once the replica
    /// took over and before the killed one starts again (a master that died for good, meanwhile).
    /// Returns when the master was killed, on <paramref name="clock"/>.
    /// </summary>
    public async Task<TimeSpan> FailOverAsync(
        int slot, System.Diagnostics.Stopwatch clock, TimeSpan replicaLagging = default, Action? killed = null, Func<Task>? whileDown = null)
    {
        var port = await MasterOfAsync(slot);
        var index = _servers.FindIndex(s => s.Port == port);
        var master = _servers[index];
        var survivor = _servers.First(s => s != master);
        RedisProcess? replica = null;
        if (replicaLagging > TimeSpan.Zero)
        {
            replica = await CutOffReplicaAsync(slot);
            await Task.Delay(replicaLagging);
        }

        await master.Process.KillAsync();
        var killedAt = clock.Elapsed;
        replica?.Process.Continue();
        killed?.Invoke();
        await UntilAsync(async () => (await NodesAsync(survivor)).Any(n => n.IsMaster && !n.IsFailed && n.Port != port && n.Serves(slot)),
            $"a replica takes slot {slot} over from the killed master on port {port}", StartWait);
        try
        {
            if (whileDown is not null)
            {
                await whileDown();
            }
        }
        finally
        {
            await master.DisposeAsync();
            _servers[index] = await StartServerAsync(port);
            await WaitUntilReadyAsync();
        }

        return killedAt;
    }

    /// <summary>
    /// Cuts the replica of <paramref name="slot"/>'s master off: it is stopped (SIGSTOP), so it
    /// cannot reconnect, and the master drops its replication link, so nothing more reaches it (a
    /// stop alone would not do: the kernel keeps receiving for it). Returns the replica, for a
    /// SIGCONT (<c>Process.Continue()</c>) that lets it go on.
    /// </summary>
    public async Task<RedisProcess> CutOffReplicaAsync(int slot)
    {
        var nodes = await NodesAsync(_servers[0]);
        var master = nodes.First(n => n.IsMaster && n.Serves(slot));
        var replicaPort = nodes.FirstOrDefault(n => n.MasterId == master.Id)?.Port
            ?? throw new InvalidOperationException($"The master of slot {slot} (port {master.Port}) has no replica.");
        var replica = _servers.Single(s => s.Port == replicaPort);
        replica.Process.Pause();
        await _servers.Single(s => s.Port == master.Port).Admin.CommandAsync("CLIENT", "KILL", "TYPE", "replica");
        return replica;
    }

    public async ValueTask DisposeAsync() => await RedisSetupDisposal.DisposeAllAsync(_servers, _directory, "cluster");

    // A server on ports of its own; ports taken since they were found free are chosen again.
    private async Task<RedisProcess> StartNewServerAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Ports.Free();
            try
            {
                return await StartServerAsync(port);
            }
            catch (PortTakenException) when (attempt < 3)
            {
                _busPorts.Remove(port);
            }
        }
    }

    private Task<RedisProcess> StartServerAsync(int port)
    {
        // The same directory when a server starts again: its nodes.conf says which cluster it is in.
        var directory = _directory.CreateSubdirectory(port.ToString());
        return RedisProcess.StartAsync(port, directory.FullName,
        [
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            // Explicit: by default the bus port is the port + 10000, past 65535 for a high free port.
            "--cluster-port", (_busPorts.TryGetValue(port, out var bus) ? bus : _busPorts[port] = Ports.Free()).ToString(),
            "--cluster-node-timeout", _nodeTimeoutMilliseconds.ToString(),
            // A slot whose master is failing over refuses; the others go on serving meanwhile.
            "--cluster-require-full-coverage", "no",
            // A master sends a replica its data at once, not after waiting 5 s for more replicas to come.
            "--repl-diskless-sync-delay", "0",
        ]);
    }

    private async Task WaitUntilReadyAsync()
    {
        foreach (var server in _servers)
        {
            await UntilAsync(async () => (await server.Admin.CommandAsync("CLUSTER", "INFO")).Contains("cluster_state:ok"),
                $"the cluster server on port {server.Port} says cluster_state:ok", StartWait);
            await UntilAsync(async () =>
            {
                var replication = await server.Admin.CommandAsync("INFO", "replication");
                return replication.Contains("role:master") || replication.Contains("master_link_status:up");
            }, $"the cluster server on port {server.Port} is a master or a synced replica", StartWait);
        }

        // A server made a replica by redis-cli, or started again after a kill, is a master without
        // slots until it takes its role, and the others learn it by gossip: until every server
        // sees three masters with slots, their replicas and no failed server, a test could meet the change.
        foreach (var server in _servers)
        {
            await UntilAsync(async () =>
            {
                var nodes = await NodesAsync(server);
                var masters = nodes.Where(n => n.IsMaster && n.Slots.Count > 0).Select(n => n.Id).ToList();
                return masters.Count == Masters && nodes.Count == _servers.Count && !nodes.Any(n => n.IsFailed) &&
                       nodes.Where(n => !n.IsMaster).Select(n => n.MasterId).Order()
                           .SequenceEqual(masters.SelectMany(m => Enumerable.Repeat(m, _replicasPerMaster)).Order());
            }, $"the cluster server on port {server.Port} sees {Masters} masters with {_replicasPerMaster} replica(s) each", StartWait);
        }
    }

    /// <summary>Polls <paramref name="condition"/>, each probe bounded too, until it holds or <paramref name="timeout"/> has passed.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition().WaitAsync(ProbeTimeout))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }
}
