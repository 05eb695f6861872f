namespace Hub.Server.Messaging;

internal static class MessagingServiceCollectionExtensions
{
    /// <summary>Sending into the cluster, and handing what arrives to this node's connections (held for those resuming).</summary>
    public static WebApplicationBuilder AddHubMessaging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MessagePublisher>();
        builder.Services.AddSingleton<ResumingConnections>();
        builder.Services.AddSingleton<LocalFanout>();
        return builder;
    }
}
