using Hub.Server.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>
/// Nodes of different key layouts (<see cref="RedisKeys"/>) on one Redis would each see half the
/// cluster and lose messages silently: the first node writes its layout to
/// <see cref="RedisKeys.Layout"/>, and a node that finds another one there stops at start with one
/// line, as for any setting it cannot run with. Found later (Redis was away at start), the line is
/// logged and the node stops. Runs right after <see cref="RedisConnection"/> started, before
/// anything uses Redis.
/// </summary>
internal sealed partial class RedisLayoutCheck(
    RedisConnection redis,
    IOptions<ClusterOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<RedisLayoutCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            _ = CheckLaterAsync();
            return;
        }

        string found;
        try
        {
            found = await ReadOrWriteAsync(cancellationToken);
        }
        catch (BackplaneUnavailableException)
        {
            _ = CheckLaterAsync();
            return;
        }

        if (found != RedisKeys.LayoutValue)
        {
            throw new OptionsValidationException("Hub:Redis", typeof(ClusterOptions), [Line(found)]);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CheckLaterAsync()
    {
        try
        {
            await redis.Created.WaitAsync(redis.Stopping);
            while (true)
            {
                try
                {
                    var found = await ReadOrWriteAsync(redis.Stopping);
                    if (found != RedisKeys.LayoutValue)
                    {
                        Log.OtherLayout(logger, Line(found));
                        lifetime.StopApplication();
                    }

                    return;
                }
                catch (BackplaneUnavailableException)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), redis.Stopping);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stopped before Redis answered.
        }
    }

    // SET NX: the first node of a fresh Redis writes the layout; every later one reads it.
    private async Task<string> ReadOrWriteAsync(CancellationToken cancellationToken)
    {
        var previous = await RedisCalls.RunAsync(redis,
            () => redis.Database.StringSetAndGetAsync(RedisKeys.Layout, RedisKeys.LayoutValue, expiry: null, keepTtl: false, When.NotExists, RedisCalls.Primary),
            cancellationToken);
        return previous.IsNull ? RedisKeys.LayoutValue : previous.ToString();
    }

    private string Line(string found) =>
        $"Hub:Redis ('{ConfigurationOptions.Parse(options.Value.Redis!).ToString(includePassword: false)}') holds Hub's key layout '{found}' ({RedisKeys.Layout}), and this node uses '{RedisKeys.LayoutValue}': nodes of two layouts cannot share a Redis. Stop every node and start them all on one version (the old keys are not read).";

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "{Line}")]
        public static partial void OtherLayout(ILogger logger, string line);
    }
}
