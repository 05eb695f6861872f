using Hub.Client;
using Hub.Server.Core;
using Hub.Server.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hub.Server.Api;

/// <summary>Sends from backend services: the same messages a hub call produces, from <c>api</c>.</summary>
internal static class MessagesApi
{
    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder api)
    {
        api.MapPost("/messages", (HttpRequest request, MessagePublisher publisher) =>
                SendAsync(Target.All, request, publisher))
            .DescribeSend("Broadcasts to every connection on every node.");
        api.MapPost("/connections/{id}/messages", (string id, HttpRequest request, MessagePublisher publisher) =>
                SendAsync(Target.Connection(id), request, publisher))
            .DescribeSend("Sends to one connection, on whichever node it is.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/users/{id}/messages", (string id, HttpRequest request, MessagePublisher publisher) =>
                SendAsync(Target.User(id), request, publisher))
            .DescribeSend("Sends to every connection of a user, cluster-wide.");
        api.MapPost("/groups/{group}/messages", (string group, HttpRequest request, MessagePublisher publisher) =>
                SendAsync(Target.Group(group), request, publisher))
            .DescribeSend("Sends to every member of a group, cluster-wide.");
        return api;
    }

    private static async Task<Accepted<SendResult>> SendAsync(Target target, HttpRequest request, MessagePublisher publisher)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var (@event, data) = await SendMessageRequest.ReadAsync(request, cancellationToken);
        var result = await publisher.PublishAsync(target, @event, data, MessagePublisher.ApiSender, user: null, cancellationToken);
        return TypedResults.Accepted((string?)null, result);
    }

    private static RouteHandlerBuilder DescribeSend(this RouteHandlerBuilder send, string summary) => send
        .WithSummary(summary)
        .Accepts<SendMessageRequest>("application/json")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
