using Hub.Server.Backplane;

namespace Hub.Server.Delivery;

/// <summary>Connects the bus to local delivery when the node starts, before it takes connections.</summary>
internal sealed class BackplaneSubscription(IBroker broker, LocalDelivery delivery) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        broker.SubscribeAsync(delivery.DeliverAsync, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
