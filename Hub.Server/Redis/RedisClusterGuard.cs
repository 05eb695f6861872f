using Hub.Server.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>
/// Hub's scripts touch keys of many slots, so on a Redis Cluster a node would fail seconds later,
/// part-way, with a stack (docs/design/redis-cluster.md). A node given one stops at start with one
/// line instead, as for any setting it cannot run with; found later (Redis was away at start), the
/// line is logged. Runs right after <see cref="RedisConnection"/> started, before anything uses Redis.
/// </summary>
internal sealed partial class RedisClusterGuard(RedisConnection redis, IOptions<ClusterOptions> options, ILogger<RedisClusterGuard> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!redis.Created.IsCompletedSuccessfully)
        {
            _ = TellLaterAsync();
            return Task.CompletedTask;
        }

        return IsCluster(redis.Created.Result)
            ? throw new OptionsValidationException("Hub:Redis", typeof(ClusterOptions), [Line()])
            : Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task TellLaterAsync()
    {
        try
        {
            if (IsCluster(await redis.Created.WaitAsync(redis.Stopping)))
            {
                Log.Unsupported(logger, Line());
            }
        }
        catch (OperationCanceledException)
        {
            // The node stopped before Redis answered.
        }
    }

    private static bool IsCluster(IConnectionMultiplexer multiplexer) =>
        multiplexer.GetServers().Any(s => s.IsConnected && s.ServerType == ServerType.Cluster);

    private string Line() =>
        $"Hub:Redis ('{ConfigurationOptions.Parse(options.Value.Redis!).ToString(includePassword: false)}') is a Redis Cluster, which Hub does not run on yet: give it one Redis server, or a Sentinel setup (serviceName=…).";

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "{Line}")]
        public static partial void Unsupported(ILogger logger, string line);
    }
}
