using StackExchange.Redis;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A real redis-server of the tests (<see cref="RedisProcess"/>, which says how it starts), with
/// an admin connection through StackExchange.Redis for what the tests do to it: SAVE, CLIENT
/// PAUSE and KILL, FLUSHALL, SENTINEL, INFO.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly RedisProcess _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(RedisProcess process)
    {
        _process = process;
    }

    public int Port => _process.Port;

    public string Configuration => _process.Configuration;

    /// <summary>Given a data directory, <see cref="SaveAsync"/> writes there what it holds, and a server started again on it loads that.</summary>
    public static async Task<RedisServer> StartAsync(int? port = null, string? dataDirectory = null, IReadOnlyList<string>? arguments = null) =>
        await ConnectAsync(await RedisProcess.StartAsync(port, dataDirectory, arguments), sentinel: false);

    /// <summary>A sentinel (<c>redis-server --sentinel</c>) on the given port with the given config file, which it rewrites as it learns.</summary>
    public static async Task<RedisServer> StartSentinelAsync(int port, string configFile) =>
        await ConnectAsync(await RedisProcess.StartSentinelAsync(port, configFile), sentinel: true);

    private static async Task<RedisServer> ConnectAsync(RedisProcess process, bool sentinel)
    {
        var server = new RedisServer(process);
        try
        {
            // It answers already: one try.
            var admin = $"{server.Configuration},allowAdmin=true,connectTimeout=1000";
            server._admin = sentinel ? await ConnectionMultiplexer.SentinelConnectAsync(admin) : await ConnectionMultiplexer.ConnectAsync(admin);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last lines the server logged, for failure messages.</summary>
    public string Output => _process.Process.Output;

    /// <summary>The server's admin view (INFO, ROLE, SENTINEL, CLIENT ...).</summary>
    public IServer Admin => _admin!.GetServer(_admin.GetEndPoints()[0]);

    /// <summary>SIGKILL: it dies at once, as in a crash; what it had not written to disk is gone.</summary>
    public Task KillAsync() => _process.Process.KillAsync();

    /// <summary>SIGSTOP: it answers no one and reads nothing, its connections stay open.</summary>
    public void Pause() => _process.Process.Pause();

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => _process.Process.Continue();

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
            await _process.DisposeAsync();
        }
    }
}
