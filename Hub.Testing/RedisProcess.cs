using System.Diagnostics;
using System.Net.Sockets;

namespace Hub.Testing;

/// <summary>
/// A real redis-server on a free loopback port; without persistence, unless given a data
/// directory, where a server started again on that directory finds what the last one saved.
/// Further arguments (a replica's <c>--replicaof</c>, an append-only file) go after those; a
/// sentinel starts with <see cref="StartSentinelAsync"/>.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    /// <summary>The name of every redis-server's <see cref="ChildProcess"/>, by which the bench tells its CPU time from the nodes'.</summary>
    public const string Name = "redis-server";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo? _ownDirectory;

    private RedisProcess(ChildProcess process, int port, DirectoryInfo? ownDirectory)
    {
        Process = process;
        Port = port;
        _ownDirectory = ownDirectory;
        Admin = new RedisAdmin("127.0.0.1", port);
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public ChildProcess Process { get; }

    /// <summary>A raw connection for admin commands (PING, INFO, FLUSHALL).</summary>
    public RedisAdmin Admin { get; private set; }

    /// <param name="port">Null: a free one.</param>
    /// <param name="dataDirectory">Where it saves and loads; null: a fresh directory of its own, deleted with it.</param>
    /// <exception cref="PortTakenException">The given port was taken (one it chose itself is chosen again, a few times).</exception>
    public static async Task<RedisProcess> StartAsync(int? port = null, string? dataDirectory = null, IReadOnlyList<string>? arguments = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnAsync(port ?? Ports.Free(), dataDirectory, arguments);
            }
            catch (PortTakenException) when (port is null && attempt < 3)
            {
                // Free a moment ago and taken since, by another process.
            }
        }
    }

    private static Task<RedisProcess> StartOnAsync(int chosen, string? dataDirectory, IReadOnlyList<string>? arguments)
    {
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
    public static Task<RedisProcess> StartSentinelAsync(int port, string configFile) =>
        LaunchAsync(port, [configFile, "--sentinel", "--port", port.ToString(), "--bind", "127.0.0.1"], ownDirectory: null);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Admin.DisposeAsync();
        }
        finally
        {
            // Whatever the admin connection did, the server never outlives its owner.
            await Process.DisposeAsync();
            _ownDirectory?.Delete(recursive: true);
        }
    }

    private static async Task<RedisProcess> LaunchAsync(int port, IReadOnlyList<string> arguments, DirectoryInfo? ownDirectory)
    {
        var info = new ProcessStartInfo(ProgramPath.Require(Name,
            "redis-server is not installed or not on PATH. Install it (Debian: apt-get install -y redis-server) or run ./test.sh, which does."));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var redis = new RedisProcess(ChildProcess.Start(Name, info), port, ownDirectory);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                if (await redis.Admin.CommandAsync("PING") == "PONG")
                {
                    return redis;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet: the next try connects afresh.
                await redis.Admin.DisposeAsync();
                redis.Admin = new RedisAdmin("127.0.0.1", port);
            }
            catch (InvalidOperationException)
            {
                // It answered with an error, such as LOADING while it reads its data back.
            }

            if (DateTime.UtcNow > deadline || redis.Process.HasExited)
            {
                if (redis.Process.HasExited)
                {
                    // Its last lines (why it exited) are read to the end first.
                    await redis.Process.WaitForExitAsync(StartTimeout);
                }

                var output = redis.Process.Output;
                await redis.DisposeAsync();
                var message = $"redis-server did not answer on port {port} within {StartTimeout.TotalSeconds} s:\n{output}";
                throw output.Contains("Address already in use") ? new PortTakenException(message) : new InvalidOperationException(message);
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>A redis-server could not listen: a port it was given (its own or its cluster bus port) was taken.</summary>
internal sealed class PortTakenException(string message) : InvalidOperationException(message);
