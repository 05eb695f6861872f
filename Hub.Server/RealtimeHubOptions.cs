using Hub.Server.Handlers;

namespace Hub.Server;

/// <summary>What an application chooses when it adds Hub to itself (<see cref="RealtimeHubExtensions.AddRealtimeHub"/>).</summary>
/// <remarks>Every other setting is configuration, under <c>Hub:…</c>, as for the stand-alone server.</remarks>
public sealed class RealtimeHubOptions
{
    internal Type? HandlerType { get; private set; }

    /// <summary>
    /// Runs <typeparamref name="THandler"/> (one instance per node, from dependency injection) on
    /// every connect, client message, join, disconnect and call. The same as registering it as the
    /// singleton <see cref="IHubHandler"/>.
    /// </summary>
    public RealtimeHubOptions UseHandler<THandler>()
        where THandler : class, IHubHandler
    {
        HandlerType = typeof(THandler);
        return this;
    }
}
