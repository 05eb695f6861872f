using Hub.Server.Backplane;
using Hub.Server.Core;

namespace Hub.Server.Api;

/// <summary>Disconnecting a connection wherever it is in the cluster.</summary>
internal static class ConnectionsApi
{
    public static RouteGroupBuilder MapConnections(this RouteGroupBuilder api)
    {
        api.MapDelete("/connections/{id}", async (string id, IBroker broker, CancellationToken cancellationToken) =>
            {
                NameRules.ValidateConnectionId(id);
                // The node that holds the connection closes it when the command reaches it; the
                // broker refuses the command (404) when the connection is not live anywhere.
                await broker.PublishAsync(
                    Envelope.ForConnectionCommand(EnvelopeKind.Disconnect, id), requiredConnectionId: id, turn: null, cancellationToken);
                return TypedResults.NoContent();
            })
            .WithSummary("Disconnects a connection; official clients do not reconnect on their own.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }
}
