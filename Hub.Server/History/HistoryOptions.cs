namespace Hub.Server.History;

/// <summary>Per-stream message history for recovery after reconnects: <c>Hub:History</c>.</summary>
internal sealed class HistoryOptions
{
    public const string Section = "Hub:History";

    /// <summary>Messages kept per stream; 0 disables history (offsets are then 0, epochs empty).</summary>
    public int Size { get; set; } = 1000;

    /// <summary>How long a stream's messages are kept after its last one (every message refreshes it).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => Size > 0;

    /// <summary>
    /// A stream's epoch and last offset outlive its messages, so a client that was away longer
    /// than <see cref="Ttl"/> on a quiet stream still learns it missed nothing.
    /// </summary>
    public TimeSpan MetaTtl => Ttl > TimeSpan.FromHours(24) ? Ttl : TimeSpan.FromHours(24);
}

internal static class HistoryServiceCollectionExtensions
{
    public static IServiceCollection AddHistoryOptions(this IServiceCollection services)
    {
        services.AddOptions<HistoryOptions>()
            .BindConfiguration(HistoryOptions.Section)
            .Validate(o => o.Size >= 0, "Hub:History:Size must be 0 (history off) or more.")
            .Validate(o => o.Ttl >= TimeSpan.FromSeconds(1), "Hub:History:Ttl must be at least 00:00:01.")
            .ValidateOnStart();
        return services;
    }
}
