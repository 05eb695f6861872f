using System.Text.Json;
using Hub.Server.Handlers;

namespace ChatApp;

/// <summary>
/// The chat's rules, run by Hub on the node that takes each call: who may come in and as whom,
/// what may be said, which rooms are open to whom, and the methods a client may call.
/// </summary>
public sealed class ChatHandler(Departures departures, ILogger<ChatHandler> logger) : HubHandler
{
    /// <summary>The room every member is in from the start.</summary>
    public const string Lobby = "lobby";

    /// <summary>
    /// Every connection names itself (<c>?name=</c>), or is the user its token names, becomes
    /// that user, and is in the lobby and the room it asks for (<c>?room=</c>).
    /// </summary>
    public override ValueTask<ConnectDecision> OnConnectedAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        var name = context.Query.TryGetValue("name", out var named) ? named.ToString() : context.User ?? "";
        if (name.Length == 0)
        {
            return new(ConnectDecision.Refuse("Say who you are: connect with ?name=…"));
        }

        if (name == "mallory")
        {
            return new(ConnectDecision.Refuse("mallory is banned from this chat."));
        }

        if (name == "crash")
        {
            throw new InvalidOperationException("The chat's user store is down (a detail for the server log only).");
        }

        var room = context.Query["room"].ToString();
        return new(ConnectDecision.Allow(user: name, groups: room.Length == 0 ? [Lobby] : [Lobby, room]));
    }

    /// <summary>No spam; a <c>shout</c> is said in capitals, as a plain message.</summary>
    public override ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var text = context.Data.ValueKind == JsonValueKind.String ? context.Data.GetString()! : null;
        if (text?.Contains("spam", StringComparison.OrdinalIgnoreCase) == true)
        {
            return new(MessageDecision.Refuse("No spam, please."));
        }

        return context.Event switch
        {
            "shout" when text is not null => new(MessageDecision.Replace("message", JsonSerializer.SerializeToElement(text.ToUpperInvariant()))),
            "crash" => throw new InvalidOperationException("The spam filter is down (a detail for the server log only)."),
            _ => new(MessageDecision.Allow()),
        };
    }

    /// <summary>Rooms named <c>staff-…</c> are for the admin.</summary>
    public override ValueTask<JoinDecision> OnJoinAsync(JoinContext context, CancellationToken cancellationToken) =>
        new(context.Group.StartsWith("staff-", StringComparison.Ordinal) && context.User != "admin"
            ? JoinDecision.Refuse($"{context.Group} is for staff only.")
            : JoinDecision.Allow());

    /// <summary>The chat remembers who left.</summary>
    public override ValueTask OnDisconnectedAsync(DisconnectContext context, CancellationToken cancellationToken)
    {
        logger.LogInformation("{User} left the chat.", context.User);
        departures.Add(context);
        return ValueTask.CompletedTask;
    }

    /// <summary><c>whoami</c>, <c>add</c> ({ a, b }), and <c>crash</c>, a method that fails.</summary>
    public override ValueTask<CallDecision> OnCallAsync(CallContext context, CancellationToken cancellationToken) => context.Method switch
    {
        "whoami" => new(CallDecision.Return(new { context.User, context.ConnectionId })),
        "add" => new(Add(context.Data)),
        "crash" => throw new InvalidOperationException("The calculator is down (a detail for the server log only)."),
        _ => base.OnCallAsync(context, cancellationToken),
    };

    private static CallDecision Add(JsonElement data) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty("a", out var a) && a.TryGetDouble(out var x) &&
        data.TryGetProperty("b", out var b) && b.TryGetDouble(out var y)
            ? CallDecision.Return(x + y)
            : CallDecision.Refuse("add takes { a, b }, two numbers.");
}
