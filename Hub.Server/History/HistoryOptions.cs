using Hub.Server.Core;

namespace Hub.Server.History;

/// <summary>Per-stream message history for recovery after reconnects: <c>Hub:History</c>.</summary>
internal sealed class HistoryOptions
{
    public const string Section = "Hub:History";

    /// <summary>Messages kept per stream; 0 disables history (offsets are then 0, epochs empty).</summary>
    public int Size { get; set; } = 1000;

    /// <summary>How long a stream's messages are kept after its last one (every message refreshes it).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Replicas that must hold a message before its send is accepted (Redis <c>WAIT</c> after the
    /// publish); 0, the default, accepts it once the primary has it. With 1 or more, a failover to
    /// a replica loses no accepted message; each send waits one replication round trip more.
    /// </summary>
    public int WaitReplicas { get; set; }

    /// <summary>How long a send waits for <see cref="WaitReplicas"/>; then it fails (the message may still be delivered).</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public bool Enabled => Size > 0;

    /// <summary>
    /// A stream's epoch and last offset outlive its messages, so a client that was away longer
    /// than <see cref="Ttl"/> on a quiet stream still learns it missed nothing.
    /// </summary>
    public TimeSpan MetaTtl => Ttl > TimeSpan.FromHours(24) ? Ttl : TimeSpan.FromHours(24);
}

internal static class HistoryServiceCollectionExtensions
{
    /// <summary><c>Hub:History</c>, and the store: in memory, or in Redis for a cluster member.</summary>
    public static WebApplicationBuilder AddHubHistory(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<HistoryOptions>()
            .BindConfiguration(HistoryOptions.Section)
            .Require(o => o.Size >= 0, o => $"Hub:History:Size ({o.Size}) must be 0 (history off) or more.")
            .Require(o => o.Ttl >= TimeSpan.FromSeconds(1), o => $"Hub:History:Ttl ({o.Ttl}) must be at least 00:00:01.")
            .Require(o => o.WaitReplicas >= 0, o => $"Hub:History:WaitReplicas ({o.WaitReplicas}) must be 0 (accept once the primary has a message) or more.")
            .Require(o => o.WaitTimeout >= TimeSpan.FromMilliseconds(1) && o.WaitTimeout <= TimeSpan.FromSeconds(30),
                o => $"Hub:History:WaitTimeout ({o.WaitTimeout}) must be from 00:00:00.001 to 00:00:30.")
            .ValidateOnStart();
        if (builder.UsesRedis())
        {
            services.AddSingleton<IHistoryStore, RedisHistoryStore>();
        }
        else
        {
            services.AddSingleton<InMemoryHistoryStore>();
            services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<InMemoryHistoryStore>());
        }

        return builder;
    }
}
