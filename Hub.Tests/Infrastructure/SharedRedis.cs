namespace Hub.Tests.Infrastructure;

/// <summary>One redis-server for the whole test run, started on first use; tests flush it before they start nodes.</summary>
public static class SharedRedis
{
    private static readonly SemaphoreSlim Gate = new(1);
    private static RedisServer? _server;

    public static async Task<RedisServer> GetAsync()
    {
        await Gate.WaitAsync().Within();
        try
        {
            return _server ??= await RedisServer.StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }
}
