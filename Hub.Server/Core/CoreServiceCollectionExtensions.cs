using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Hub.Server.Core;

internal static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// What every part of the node may use: its place in the cluster (<c>Hub:NodeId</c>,
    /// <c>Hub:Redis</c>), the clock, and Hub's instruments.
    /// </summary>
    public static WebApplicationBuilder AddHubCore(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.NodeId))
                {
                    o.NodeId = $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..6]}";
                }
            })
            .Require(o => o.NodeId.Length <= 128 && !o.NodeId.Any(char.IsControl) && !o.NodeId.Contains('/'),
                o => $"Hub:NodeId ('{o.NodeId}') must be 1 to 128 characters, with no control characters and no '/'.")
            .Require(o => !o.UsesRedis || RedisProblem(o.Redis!) is null, o => RedisProblem(o.Redis!)!)
            .ValidateOnStart();
        // Unless a test brought a clock of its own, which it moves itself.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<HubMetrics>();
        return builder;
    }

    /// <summary>Whether the node is a cluster member (<c>Hub:Redis</c> set): every store and the bus choose their implementation by it.</summary>
    public static bool UsesRedis(this WebApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration[$"{ClusterOptions.Section}:{nameof(ClusterOptions.Redis)}"]);

    // StackExchange.Redis takes a configuration it cannot use without a word ("No endpoints
    // specified" once it connects, far from the key): the node says so at start, without the password.
    private static string? RedisProblem(string redis)
    {
        var shown = Regex.Replace(redis, "(password=)[^,]*", "$1…", RegexOptions.IgnoreCase);
        const string Allowed = "host:port, several separated by commas (a cluster's seeds, or Sentinels with serviceName=…), and options as key=value, e.g. 127.0.0.1:6379,password=…";
        try
        {
            return ConfigurationOptions.Parse(redis).EndPoints.Count > 0
                ? null
                : $"Hub:Redis ('{shown}') names no Redis server: write {Allowed}.";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException)
        {
            return $"Hub:Redis ('{shown}') is not a Redis configuration ({ex.Message}): write {Allowed}.";
        }
    }
}
