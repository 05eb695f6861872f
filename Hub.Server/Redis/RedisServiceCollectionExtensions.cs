using Hub.Server.Core;

namespace Hub.Server.Redis;

internal static class RedisServiceCollectionExtensions
{
    /// <summary>The node's connection to Redis, when it is a cluster member; first of the hosted services, so the others find it, and its key layout checked before any of them uses it.</summary>
    public static WebApplicationBuilder AddHubRedis(this WebApplicationBuilder builder)
    {
        if (builder.UsesRedis())
        {
            builder.Services.AddSingleton<RedisConnection>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
            builder.Services.AddHostedService<RedisLayoutCheck>();
        }

        return builder;
    }
}
