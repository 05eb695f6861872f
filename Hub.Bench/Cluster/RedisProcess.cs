using System.Diagnostics;
using System.Net.Sockets;

namespace Hub.Bench.Cluster;

/// <summary>A redis-server of the bench's own on a free loopback port, without persistence.</summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    public const string Name = "redis-server";
    private readonly ChildProcess _process;

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

    public static async Task<RedisProcess> StartAsync()
    {
        var port = Ports.Free();
        var info = new ProcessStartInfo(FindRedisServer())
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
        };
        var redis = new RedisProcess(ChildProcess.Start(Name, info), port);
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
    }

    private static string FindRedisServer() =>
        ChildProcess.Find("redis-server", "redis-server is not installed (Debian: apt-get install -y redis-server).");
}
