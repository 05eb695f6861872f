using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, owned by the tests; without persistence, unless
/// given a data directory, where <see cref="SaveAsync"/> writes what it holds and from which a
/// server started again on that directory loads it. Further arguments (a replica's
/// <c>--replicaof</c>, an append-only file) go after those; a sentinel starts with
/// <see cref="StartSentinelAsync"/>.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo? _ownDirectory;
    private readonly Queue<string> _output = new();
    private ConnectionMultiplexer? _admin;

    private RedisServer(Process process, int port, DirectoryInfo? ownDirectory)
    {
        _process = process;
        Port = port;
        _ownDirectory = ownDirectory;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static Task<RedisServer> StartAsync(int? port = null, string? dataDirectory = null, IReadOnlyList<string>? arguments = null)
    {
        var chosen = port ?? FreePort();
        // Never the working directory: a server loads the dump.rdb it finds there at start, and a
        // replica writes one there on every full sync, which the next server would start with.
        var own = dataDirectory is null ? Directory.CreateTempSubdirectory("hub-redis-") : null;
        List<string> all =
        [
            "--port", chosen.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes",
            "--dir", dataDirectory ?? own!.FullName, "--dbfilename", "dump.rdb",
        ];
        return LaunchAsync(chosen, [.. all, .. arguments ?? []], own);
    }

    /// <summary>A sentinel (<c>redis-server --sentinel</c>) on the given port with the given config file, which it rewrites as it learns.</summary>
    public static Task<RedisServer> StartSentinelAsync(int port, string configFile) =>
        LaunchAsync(port, [configFile, "--sentinel", "--port", port.ToString(), "--bind", "127.0.0.1"], ownDirectory: null, sentinel: true);

    private static async Task<RedisServer> LaunchAsync(int port, IReadOnlyList<string> arguments, DirectoryInfo? ownDirectory, bool sentinel = false)
    {
        var binary = FindOnPath("redis-server") ?? throw new InvalidOperationException(
            "redis-server is not installed or not on PATH. Install it (Debian: apt-get install -y redis-server) or run ./test.sh, which does.");
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        var server = new RedisServer(process, port, ownDirectory);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                var admin = $"{server.Configuration},allowAdmin=true,connectTimeout=1000";
                server._admin = sentinel ? await ConnectionMultiplexer.SentinelConnectAsync(admin) : await ConnectionMultiplexer.ConnectAsync(admin);
                if (server._admin.IsConnected)
                {
                    return server;
                }
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
            }

            if (DateTime.UtcNow >= deadline || process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server did not answer on port {port} within 10 s.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The last lines the server logged, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>The server's admin view (INFO, ROLE, SENTINEL, CLIENT ...).</summary>
    public IServer Admin => _admin!.GetServer(_admin.GetEndPoints()[0]);

    /// <summary>SIGKILL: it dies at once, as in a crash; what it had not written to disk is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process, Signals.Kill, $"redis-server on port {Port}");
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>SIGSTOP: it answers no one and reads nothing, its connections stay open.</summary>
    public void Pause() => Signals.Send(_process, Signals.Stop, $"redis-server on port {Port}");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => Signals.Send(_process, Signals.Continue, $"redis-server on port {Port}");

    public IDatabase Database => _admin!.GetDatabase();

    /// <summary>Writes what the server holds to its data directory (see <see cref="StartAsync"/>).</summary>
    public Task SaveAsync() => Admin.ExecuteAsync("SAVE");

    /// <summary>
    /// Holds every client's commands for <paramref name="time"/> (CLIENT PAUSE ... ALL): Redis
    /// slow to answer, not gone; what was sent meanwhile is carried out afterwards, in order.
    /// </summary>
    public Task PauseAsync(TimeSpan time) =>
        Admin.ExecuteAsync("CLIENT", "PAUSE", ((long)time.TotalMilliseconds).ToString(), "ALL");

    public Task FlushAllAsync() => Admin.FlushAllDatabasesAsync();

    /// <summary>
    /// Drops the pub/sub connections of the clients named <paramref name="clientName"/> (CLIENT KILL
    /// ID), as a network blip, a proxy or a client timeout does; returns how many it dropped.
    /// </summary>
    public async Task<int> KillSubscriptionsAsync(string clientName)
    {
        var server = Admin;
        var killed = 0;
        foreach (var client in await server.ClientListAsync())
        {
            if (client.Name == clientName && client.SubscriptionCount > 0)
            {
                await server.ExecuteAsync("CLIENT", "KILL", "ID", client.Id.ToString());
                killed++;
            }
        }

        return killed;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_admin is not null)
            {
                await _admin.CloseAsync(allowCommandsToComplete: false);
                _admin.Dispose();
            }
        }
        finally
        {
            // Whatever the admin connection did, the server never outlives the test.
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            _process.Dispose();
            _ownDirectory?.Delete(recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 40)
            {
                _output.Dequeue();
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
