using Hub.Server.Backplane;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>Turns Redis being unreachable into the one exception the hub and the API know how to report.</summary>
internal static class RedisCalls
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            throw new BackplaneUnavailableException("Redis is unavailable; the operation was not carried out.", ex);
        }
    }
}
