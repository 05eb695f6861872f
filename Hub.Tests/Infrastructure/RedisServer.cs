using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, owned by the tests; without persistence, unless
/// given a data directory, where <see cref="SaveAsync"/> writes what it holds and from which a
/// server started again on that directory loads it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(int? port = null, string? dataDirectory = null)
    {
        var binary = FindOnPath("redis-server") ?? throw new InvalidOperationException(
            "redis-server is not installed or not on PATH. Install it (Debian: apt-get install -y redis-server) or run ./test.sh, which does.");
        var chosen = port ?? FreePort();
        var info = new ProcessStartInfo(binary)
        {
            ArgumentList = { "--port", chosen.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (dataDirectory is not null)
        {
            foreach (var argument in new[] { "--dir", dataDirectory, "--dbfilename", "dump.rdb" })
            {
                info.ArgumentList.Add(argument);
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new RedisServer(process, chosen);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                server._admin = await ConnectionMultiplexer.ConnectAsync($"{server.Configuration},allowAdmin=true,connectTimeout=1000");
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
                throw new InvalidOperationException($"redis-server did not answer on port {chosen} within 10 s.");
            }

            await Task.Delay(100);
        }
    }

    public IDatabase Database => _admin!.GetDatabase();

    /// <summary>Writes what the server holds to its data directory (see <see cref="StartAsync"/>).</summary>
    public Task SaveAsync() => _admin!.GetServer(_admin.GetEndPoints()[0]).ExecuteAsync("SAVE");

    /// <summary>
    /// Holds every client's commands for <paramref name="time"/> (CLIENT PAUSE ... ALL): Redis
    /// slow to answer, not gone; what was sent meanwhile is carried out afterwards, in order.
    /// </summary>
    public Task PauseAsync(TimeSpan time) =>
        _admin!.GetServer(_admin.GetEndPoints()[0]).ExecuteAsync("CLIENT", "PAUSE", ((long)time.TotalMilliseconds).ToString(), "ALL");

    public Task FlushAllAsync() => _admin!.GetServer(_admin.GetEndPoints()[0]).FlushAllDatabasesAsync();

    /// <summary>
    /// Drops the pub/sub connections of the clients named <paramref name="clientName"/> (CLIENT KILL
    /// ID), as a network blip, a proxy or a client timeout does; returns how many it dropped.
    /// </summary>
    public async Task<int> KillSubscriptionsAsync(string clientName)
    {
        var server = _admin!.GetServer(_admin.GetEndPoints()[0]);
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
        if (_admin is not null)
        {
            await _admin.CloseAsync(allowCommandsToComplete: false);
            _admin.Dispose();
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
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
