using System.Diagnostics;
using System.Net.Sockets;

namespace Hub.Bench.Cluster;

/// <summary>A redis-server of the bench's own on a free loopback port, without persistence; a replica when given its primary.</summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    public const string Name = "redis-server";
    private readonly ChildProcess _process;
    private DirectoryInfo? _directory;

    private RedisProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Admin = new RedisAdmin("127.0.0.1", port);
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public RedisAdmin Admin { get; private set; }

    public ChildProcess Process => _process;

    public static async Task<RedisProcess> StartAsync(RedisProcess? replicaOf = null)
    {
        var port = Ports.Free();
        var info = new ProcessStartInfo(FindRedisServer())
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
        };
        // Its own directory: a replica writes what it syncs to disk, and never in the caller's.
        var directory = replicaOf is null ? null : Directory.CreateTempSubdirectory("hub-bench-replica-");
        if (replicaOf is not null)
        {
            foreach (var argument in new[] { "--replicaof", "127.0.0.1", replicaOf.Port.ToString(), "--dir", directory!.FullName })
            {
                info.ArgumentList.Add(argument);
            }
        }

        var redis = new RedisProcess(ChildProcess.Start(Name, info), port) { _directory = directory };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                if (await redis.Admin.CommandAsync("PING") == "PONG")
                {
                    return redis;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                await redis.Admin.DisposeAsync();
                redis.Admin = new RedisAdmin("127.0.0.1", port);
            }

            if (DateTime.UtcNow > deadline || redis._process.HasExited)
            {
                var tail = redis._process.Tail;
                await redis.DisposeAsync();
                throw new InvalidOperationException($"redis-server did not answer on port {port} within 10 s:\n{tail}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        await _process.DisposeAsync();
        _directory?.Delete(recursive: true);
    }

    private static string FindRedisServer() =>
        ChildProcess.Find("redis-server", "redis-server is not installed (Debian: apt-get install -y redis-server).");
}
