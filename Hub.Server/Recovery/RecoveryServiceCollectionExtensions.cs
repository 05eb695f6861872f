namespace Hub.Server.Recovery;

internal static class RecoveryServiceCollectionExtensions
{
    /// <summary>What a client or this node missed, read back from history: a client's resume, and a gap in what the bus delivered.</summary>
    public static WebApplicationBuilder AddHubRecovery(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<StreamRecovery>();
        builder.Services.AddSingleton<BusGapRecovery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BusGapRecovery>());
        return builder;
    }
}
