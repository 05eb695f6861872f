using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Hub.Server.Handlers;

/// <summary>
/// The application's own code on open, on message, on join, on close and on call: one handler per
/// node, run on the node that took the call, before anything is published. In library mode it is
/// the application's C# class (<c>builder.AddRealtimeHub(o =&gt; o.UseHandler&lt;T&gt;())</c>); the
/// stand-alone server's is the upstream handler, which asks the application over HTTP.
/// With no handler registered none of this runs (and costs nothing).
/// </summary>
/// <remarks>
/// A handler that throws fails that call (the caller is told the application's handler failed; the
/// exception goes to the server log) and nothing else: the connection and the node carry on.
/// </remarks>
public interface IHubHandler
{
    /// <summary>A client connects: allow it (optionally setting its user id and initial groups) or refuse it (403).</summary>
    ValueTask<ConnectDecision> OnConnectedAsync(ConnectContext context, CancellationToken cancellationToken);

    /// <summary>A client publishes: allow the message, replace its event and data, or refuse it (it then reaches no one and takes no offset).</summary>
    ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken);

    /// <summary>A client joins a group: allow or refuse.</summary>
    ValueTask<JoinDecision> OnJoinAsync(JoinContext context, CancellationToken cancellationToken);

    /// <summary>A client's connection ended. Nothing waits for it to decide anything.</summary>
    ValueTask OnDisconnectedAsync(DisconnectContext context, CancellationToken cancellationToken);

    /// <summary>A client calls an application method (<c>Call(method, data)</c>): answer it, or refuse it with a reason.</summary>
    ValueTask<CallDecision> OnCallAsync(CallContext context, CancellationToken cancellationToken);
}

/// <summary>A handler that allows everything: override what the application decides.</summary>
public abstract class HubHandler : IHubHandler
{
    /// <inheritdoc/>
    public virtual ValueTask<ConnectDecision> OnConnectedAsync(ConnectContext context, CancellationToken cancellationToken) => new(ConnectDecision.Allow());

    /// <inheritdoc/>
    public virtual ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken) => new(MessageDecision.Allow());

    /// <inheritdoc/>
    public virtual ValueTask<JoinDecision> OnJoinAsync(JoinContext context, CancellationToken cancellationToken) => new(JoinDecision.Allow());

    /// <inheritdoc/>
    public virtual ValueTask OnDisconnectedAsync(DisconnectContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public virtual ValueTask<CallDecision> OnCallAsync(CallContext context, CancellationToken cancellationToken) =>
        new(CallDecision.Refuse($"There is no method '{context.Method}'."));
}

/// <summary>A connection being opened.</summary>
/// <param name="ConnectionId">The connection's id.</param>
/// <param name="User">The user id the connection has so far (its token's <c>sub</c>, or the <c>user</c> query parameter without auth), or null.</param>
/// <param name="Query">The query string the client connected with.</param>
/// <param name="Node">The id of the node it connects to.</param>
/// <param name="HttpContext">The request that opens the connection, when there is one (not for TCP).</param>
public sealed record ConnectContext(string ConnectionId, string? User, IQueryCollection Query, string Node, HttpContext? HttpContext);

/// <summary>A message a client publishes, before anything is published.</summary>
/// <param name="ConnectionId">The sender's connection id.</param>
/// <param name="User">The sender's user id, or null.</param>
/// <param name="To">The stream it goes to: <c>all</c>, <c>group:{name}</c>, <c>user:{id}</c> or <c>connection:{id}</c>.</param>
/// <param name="Event">Its event name.</param>
/// <param name="Data">Its data: any JSON value.</param>
public sealed record MessageContext(string ConnectionId, string? User, string To, string Event, JsonElement Data);

/// <summary>A client joining a group.</summary>
public sealed record JoinContext(string ConnectionId, string? User, string Group);

/// <summary>A connection that ended.</summary>
public sealed record DisconnectContext(string ConnectionId, string? User, string Node);

/// <summary>A client's call of an application method.</summary>
public sealed record CallContext(string ConnectionId, string? User, string Method, JsonElement Data);

/// <summary>What the handler decided about a connection.</summary>
public sealed record ConnectDecision
{
    /// <summary>True to let the connection in.</summary>
    public bool Allowed { get; private init; }

    /// <summary>Why it was refused: what the client is told.</summary>
    public string? Reason { get; private init; }

    /// <summary>The user id to give the connection instead of the one it came with; null keeps that.</summary>
    public string? User { get; private init; }

    /// <summary>Groups the connection is in from the start (before its first call returns); null for none.</summary>
    public IReadOnlyList<string>? Groups { get; private init; }

    /// <summary>Let the connection in, optionally as <paramref name="user"/> and in <paramref name="groups"/>.</summary>
    public static ConnectDecision Allow(string? user = null, IReadOnlyList<string>? groups = null) => new() { Allowed = true, User = user, Groups = groups };

    /// <summary>Keep the connection out (403), telling it <paramref name="reason"/>.</summary>
    public static ConnectDecision Refuse(string reason) => new() { Reason = reason };
}

/// <summary>What the handler decided about a message.</summary>
public sealed record MessageDecision
{
    /// <summary>True to publish the message.</summary>
    public bool Allowed { get; private init; }

    /// <summary>Why it was refused: the error the sender gets.</summary>
    public string? Reason { get; private init; }

    /// <summary>The event to publish instead of the sender's; null keeps it.</summary>
    public string? Event { get; private init; }

    /// <summary>The data to publish instead of the sender's; null keeps it.</summary>
    public JsonElement? Data { get; private init; }

    /// <summary>Publish the message as it is.</summary>
    public static MessageDecision Allow() => new() { Allowed = true };

    /// <summary>Publish it with another event and/or data (null keeps the sender's).</summary>
    public static MessageDecision Replace(string? @event, JsonElement? data) => new() { Allowed = true, Event = @event, Data = data };

    /// <summary>Publish nothing, telling the sender <paramref name="reason"/>.</summary>
    public static MessageDecision Refuse(string reason) => new() { Reason = reason };
}

/// <summary>What the handler decided about a join.</summary>
public sealed record JoinDecision
{
    /// <summary>True to let the client join.</summary>
    public bool Allowed { get; private init; }

    /// <summary>Why it was refused: the error the client gets.</summary>
    public string? Reason { get; private init; }

    /// <summary>Let it join.</summary>
    public static JoinDecision Allow() => new() { Allowed = true };

    /// <summary>Keep it out, telling it <paramref name="reason"/>.</summary>
    public static JoinDecision Refuse(string reason) => new() { Reason = reason };
}

/// <summary>The handler's answer to a call.</summary>
public sealed record CallDecision
{
    /// <summary>True when the call was answered.</summary>
    public bool Answered { get; private init; }

    /// <summary>Why it was refused: the error the caller gets.</summary>
    public string? Reason { get; private init; }

    /// <summary>The result the caller gets: any JSON value.</summary>
    public JsonElement Result { get; private init; }

    /// <summary>Answer with <paramref name="result"/>.</summary>
    public static CallDecision Return(JsonElement result) => new() { Answered = true, Result = result };

    /// <summary>Answer with <paramref name="result"/> serialized as JSON (web defaults: camelCase).</summary>
    public static CallDecision Return<T>(T result) => Return(JsonSerializer.SerializeToElement(result, JsonSerializerOptions.Web));

    /// <summary>Refuse the call, telling the caller <paramref name="reason"/>.</summary>
    public static CallDecision Refuse(string reason) => new() { Reason = reason };
}
