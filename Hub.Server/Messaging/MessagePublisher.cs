using System.Text.Json;
using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Core;
using Hub.Server.Handlers;
using Hub.Server.Limits;

namespace Hub.Server.Messaging;

/// <summary>
/// Accepts a message from a hub call or the HTTP API: checks it, stamps it, and hands it to
/// the broker, which gives it its offset and delivers it everywhere. Nothing is delivered
/// locally before the broker took it, so a failed publish reaches no one.
/// </summary>
internal sealed class MessagePublisher(IBroker broker, InputRules rules, ApplicationHandler application, HubMetrics metrics, TimeProvider time)
{
    /// <summary>The <c>from</c> of messages sent through the HTTP API.</summary>
    public const string ApiSender = "api";

    /// <summary>A text message: event <c>message</c>, the text as its data.</summary>
    public Task<SendResult> PublishTextAsync(Target target, string? text, string from, string? user, CancellationToken cancellationToken)
    {
        // A bad target is told before a missing text, as it is before bad data.
        ValidateTarget(target);
        return PublishAsync(target, Message.DefaultEvent, InputRules.TextData(text), from, user, cancellationToken);
    }

    /// <summary>
    /// Every message, from every hub method and API route, becomes one here: after its checks and
    /// before anything is published, so whatever decides a message's fate (refuse it, change its
    /// event or data) has one place to stand, and a refused message takes no offset.
    /// </summary>
    public async Task<SendResult> PublishAsync(Target target, string? @event, JsonElement data, string from, string? user, CancellationToken cancellationToken)
    {
        // A hub call's turn ends when this message is placed; taken here, before anything an
        // application's handler publishes meanwhile could end it first.
        var turn = CallOrder.TakePublishTurn();
        ValidateTarget(target);
        var name = NameRules.ValidateEvent(@event);
        rules.ValidateData(data);

        // A client's message is the application's to refuse or rewrite; the HTTP API's caller is
        // the application itself. What the handler puts in passes the same rules.
        if (application.Handler is not null && from != ApiSender)
        {
            var decision = await application.MessageAsync(new MessageContext(from, user, target.Stream, name, data), cancellationToken);
            if (decision.Event is { } replacedEvent)
            {
                name = NameRules.ValidateEvent(replacedEvent);
            }

            if (decision.Data is { } replacedData)
            {
                rules.ValidateData(replacedData);
                data = replacedData;
            }
        }

        var stream = target.Stream;
        var message = new Message
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Stream = stream,
            From = from,
            User = user,
            Event = name,
            Data = data,
            SentAt = time.GetUtcNow().UtcDateTime,
        };

        var required = target.Kind == TargetKind.Connection ? target.Id : null;
        var started = time.GetTimestamp();
        var position = await broker.PublishAsync(Envelope.ForMessage(message, target), required, turn, cancellationToken);
        metrics.Published(target.KindName, time.GetElapsedTime(started));
        return new SendResult { Id = message.Id, Stream = stream, Offset = position.Offset };
    }

    private static void ValidateTarget(Target target)
    {
        switch (target.Kind)
        {
            case TargetKind.Group:
                NameRules.ValidateGroup(target.Id);
                break;
            case TargetKind.User:
                NameRules.ValidateUser(target.Id);
                break;
            case TargetKind.Connection:
                NameRules.ValidateConnectionId(target.Id);
                break;
        }
    }
}
