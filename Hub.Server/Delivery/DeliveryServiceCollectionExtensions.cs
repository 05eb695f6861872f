namespace Hub.Server.Delivery;

internal static class DeliveryServiceCollectionExtensions
{
    /// <summary>The bus's receiving end: its subscription, and each envelope carried out on this node.</summary>
    public static WebApplicationBuilder AddHubDelivery(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LocalDelivery>();
        builder.Services.AddHostedService<BackplaneSubscription>();
        return builder;
    }
}
