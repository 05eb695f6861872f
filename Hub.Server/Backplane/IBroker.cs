using Hub.Client;
using Hub.Server.Core;

namespace Hub.Server.Backplane;

/// <summary>
/// Fan-out between nodes. A published envelope reaches every node (this one included) through
/// the handler given to <see cref="SubscribeAsync"/>, all nodes seeing one order. A message
/// gets its stream offset, is appended to history and is published in one atomic step.
/// </summary>
internal interface IBroker
{
    /// <summary>
    /// Raised when this node's subscription came back after it was lost, or a routed channel's
    /// sequence broke: messages of the streams the <see cref="BusGap"/> covers, published by other
    /// nodes meanwhile, may never have reached this node's connections.
    /// </summary>
    event Action<BusGap>? Resubscribed;

    /// <summary>Whether a publish can succeed now (for Redis: connected and subscribed). Asked on every publish.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Whether the node should take clients: <see cref="IsAvailable"/>, and for Redis a primary
    /// to write to (through Sentinel the node may be connected to a replica alone while there is none).
    /// </summary>
    bool IsReady { get; }

    Task SubscribeAsync(Func<Envelope, Task> handler, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes; returns the message's position (offset 0, epoch empty with history off or for events).
    /// </summary>
    /// <param name="envelope">The message or event, with where it goes.</param>
    /// <param name="requiredConnectionId">When set, the publish happens only if that connection is live, cluster-wide (for an AddToGroup or RemoveFromGroup command: still in that group's presence).</param>
    /// <param name="turn">The hub call's turn in its connection's <see cref="CallOrder"/>, if any: ended as soon as the message's place in its stream is fixed, before the answer.</param>
    /// <param name="cancellationToken">Gives up waiting for the backplane.</param>
    /// <exception cref="HubRequestException">The required connection is unknown.</exception>
    /// <exception cref="BackplaneUnavailableException">The backplane cannot take it now; nobody received it.</exception>
    Task<StreamPosition> PublishAsync(Envelope envelope, string? requiredConnectionId, CallOrder.Turn? turn, CancellationToken cancellationToken);
}
