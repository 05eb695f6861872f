using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Messaging;
using Hub.Server.Recovery;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Delivery;

/// <summary>
/// Delivers what arrives from the bus to this node's own connections. A message of a stream with
/// local recipients goes through its cursor (<see cref="BusGapRecovery"/>), which fills from
/// history what the bus failed to bring before it; the rest goes straight to the fan-out.
/// </summary>
internal sealed partial class LocalDelivery(
    ILocalClients clients,
    LocalFanout fanout,
    LocalStreams streams,
    BusGapRecovery gaps,
    HubMetrics metrics,
    ConnectionRegistry connections,
    ILogger<LocalDelivery> logger)
{
    private const string DisconnectReason = "The connection was closed by the server (HTTP API).";

    /// <summary>
    /// Hands the envelope on and returns as soon as every local recipient has it in order (see
    /// <see cref="LocalFanout.SendMessage"/>); commands are waited for, so a message published
    /// after a join reaches the new member.
    /// </summary>
    public Task DeliverAsync(Envelope envelope)
    {
        switch (envelope.Kind)
        {
            case EnvelopeKind.Message:
                var message = envelope.Message!;
                metrics.Delivered(envelope.Target.KindName, message.SentAt);
                return message.Offset > 0 && streams.Find(message.Stream) is { } cursor
                    ? gaps.Admit(cursor, envelope.Target, message)
                    : fanout.SendMessage(envelope.Target, message);
            case EnvelopeKind.MemberJoined:
                return fanout.SendEvent(envelope.Target, nameof(IHubClient.MemberJoined), envelope.Event!, envelope.ExceptConnectionId);
            case EnvelopeKind.MemberLeft:
                return fanout.SendEvent(envelope.Target, nameof(IHubClient.MemberLeft), envelope.Event!, envelope.ExceptConnectionId);
            default:
                return CarryOutAsync(envelope);
        }
    }

    // Commands: every node gets them, the lifetime manager and the registry ignore a connection
    // they do not have, so only the node that holds it acts.
    private async Task CarryOutAsync(Envelope envelope)
    {
        try
        {
            await (envelope.Kind switch
            {
                EnvelopeKind.AddToGroup => clients.AddToGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.RemoveFromGroup => clients.RemoveFromGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.Disconnect => connections.CloseAsync(envelope.Target.Id!, DisconnectReason, allowReconnect: false),
                _ => Task.CompletedTask,
            });
        }
        catch (Exception ex)
        {
            Log.CommandFailed(logger, envelope.Kind, envelope.Target.Stream, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Carrying out {Kind} for {Stream} on this node failed.")]
        public static partial void CommandFailed(ILogger logger, EnvelopeKind kind, string stream, Exception exception);
    }
}
