using System.Text.Json;
using Hub.Server.Handlers;
using Microsoft.Extensions.Options;

namespace Hub.Server.Upstream;

/// <summary>
/// The stand-alone server's <see cref="IHubHandler"/>: each event the backend asked about
/// (<c>Hub:Upstream:Events</c>) is a signed <c>POST {Url}/{event}</c>, and its answer the decision.
/// A 2xx allows (its body may say more), a 4xx refuses with its reason; no answer, a 5xx or an open
/// circuit refuse with "upstream unavailable", or allow when <c>Hub:Upstream:FailOpen</c> (never a
/// call). An answer that cannot be followed (another status, or a 2xx whose body is not the event's
/// shape) refuses, and never fails open: the backend is there and said something else than allow.
/// </summary>
internal sealed partial class UpstreamHubHandler(
    UpstreamClient client, DisconnectDeliveries disconnects, IOptions<UpstreamOptions> options, UpstreamMetrics metrics, ILogger<UpstreamHubHandler> logger) : IHubHandler
{
    private static readonly JsonElement NullResult = JsonSerializer.SerializeToElement<object?>(null);

    private readonly UpstreamOptions _options = options.Value;

    public async ValueTask<ConnectDecision> OnConnectedAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        if (!_options.Asks(UpstreamEvents.Connect))
        {
            return ConnectDecision.Allow();
        }

        var body = Serialize(new ConnectBody(context.ConnectionId, context.User, QueryOf(context), context.Node));
        var answer = await client.PostAsync(UpstreamEvents.Connect, body, context.ConnectionId, cancellationToken);
        return Decide(answer, UpstreamEvents.Connect, context.ConnectionId, static () => ConnectDecision.Allow(), ConnectDecision.Refuse, static json =>
        {
            var user = OptionalString(json, "user");
            var groups = json.TryGetProperty("groups", out var list) && list.ValueKind != JsonValueKind.Null
                ? list.ValueKind == JsonValueKind.Array && list.EnumerateArray().All(g => g.ValueKind == JsonValueKind.String)
                    ? list.EnumerateArray().Select(g => g.GetString()!).ToList()
                    : throw new JsonException("'groups' is not an array of strings")
                : null;
            return ConnectDecision.Allow(user, groups);
        });
    }

    public async ValueTask<MessageDecision> OnMessageAsync(MessageContext context, CancellationToken cancellationToken)
    {
        if (!_options.Asks(UpstreamEvents.Message))
        {
            return MessageDecision.Allow();
        }

        var body = Serialize(new MessageBody(context.ConnectionId, context.User, context.To, context.Event, context.Data));
        var answer = await client.PostAsync(UpstreamEvents.Message, body, context.ConnectionId, cancellationToken);
        return Decide(answer, UpstreamEvents.Message, context.ConnectionId, MessageDecision.Allow, MessageDecision.Refuse, static json =>
            // A property left out keeps the sender's; "data": null replaces the data with null.
            MessageDecision.Replace(OptionalString(json, "event"), json.TryGetProperty("data", out var data) ? data : null));
    }

    public async ValueTask<JoinDecision> OnJoinAsync(JoinContext context, CancellationToken cancellationToken)
    {
        if (!_options.Asks(UpstreamEvents.Join))
        {
            return JoinDecision.Allow();
        }

        var body = Serialize(new JoinBody(context.ConnectionId, context.User, context.Group));
        var answer = await client.PostAsync(UpstreamEvents.Join, body, context.ConnectionId, cancellationToken);
        return Decide(answer, UpstreamEvents.Join, context.ConnectionId, JoinDecision.Allow, JoinDecision.Refuse, static _ => JoinDecision.Allow());
    }

    public ValueTask OnDisconnectedAsync(DisconnectContext context, CancellationToken cancellationToken)
    {
        if (_options.Asks(UpstreamEvents.Disconnect))
        {
            // Handed over, not awaited: the retries of a backend that is down take seconds, and
            // nothing may wait for them (nor be cancelled with the caller: a drain's disconnects too must arrive).
            disconnects.Enqueue(context.ConnectionId, Serialize(new DisconnectBody(context.ConnectionId, context.User, context.Node)));
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<CallDecision> OnCallAsync(CallContext context, CancellationToken cancellationToken)
    {
        if (!_options.Asks(UpstreamEvents.Call))
        {
            return CallDecision.Refuse($"There is no method '{context.Method}'.");
        }

        var body = Serialize(new CallBody(context.ConnectionId, context.User, context.Method, context.Data));
        var answer = await client.PostAsync(UpstreamEvents.Call, body, context.ConnectionId, cancellationToken);
        // A call is never answered without its backend: there is no answer to fail open with.
        if (answer.Outcome == UpstreamOutcome.Unavailable)
        {
            metrics.Answered(UpstreamEvents.Call, UpstreamOutcome.Unavailable);
            return CallDecision.Refuse(UpstreamAnswer.UnavailableReason);
        }

        return Decide(answer, UpstreamEvents.Call, context.ConnectionId, static () => CallDecision.Return(NullResult), CallDecision.Refuse, CallDecision.Return, anyValue: true);
    }

    // A 2xx with no body, or null, allows as it is; otherwise its body is read: an object, or with
    // anyValue any JSON value (a call's result).
    private TDecision Decide<TDecision>(
        UpstreamAnswer answer, string @event, string connectionId, Func<TDecision> allow, Func<string, TDecision> refuse, Func<JsonElement, TDecision> read, bool anyValue = false)
    {
        var outcome = answer.Outcome;
        try
        {
            switch (outcome)
            {
                case UpstreamOutcome.Allowed when IsBlank(answer.Body.Span):
                    return allow();
                case UpstreamOutcome.Allowed:
                    try
                    {
                        var json = JsonSerializer.Deserialize<JsonElement>(answer.Body.Span);
                        return json.ValueKind switch
                        {
                            JsonValueKind.Null => allow(),
                            JsonValueKind.Object => read(json),
                            _ when anyValue => read(json),
                            _ => throw new JsonException($"it is a JSON {Kind(json)}, not an object"),
                        };
                    }
                    catch (JsonException ex)
                    {
                        outcome = UpstreamOutcome.Invalid;
                        Log.InvalidBody(logger, @event, connectionId, FirstLine(ex.Message));
                        return refuse(UpstreamAnswer.InvalidReason);
                    }

                case UpstreamOutcome.Unavailable when _options.FailOpen:
                    Log.FailedOpen(logger, @event, connectionId);
                    return allow();
                default:
                    return refuse(answer.Reason ?? UpstreamAnswer.UnavailableReason);
            }
        }
        finally
        {
            metrics.Answered(@event, outcome);
        }
    }

    private static string? OptionalString(JsonElement json, string name) =>
        !json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new JsonException($"'{name}' is a JSON {Kind(value)}, not a string");

    private static string Kind(JsonElement json) => json.ValueKind.ToString().ToLowerInvariant();

    // The token a browser sends as access_token is a credential: the backend gets the user it names instead.
    private static Dictionary<string, string> QueryOf(ConnectContext context) =>
        context.Query.Where(q => q.Key != "access_token").ToDictionary(q => q.Key, q => q.Value.ToString());

    private static bool IsBlank(ReadOnlySpan<byte> body) => body.Trim(" \t\r\n"u8).IsEmpty;

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static byte[] Serialize<T>(T body) => JsonSerializer.SerializeToUtf8Bytes(body, JsonSerializerOptions.Web);

    private sealed record ConnectBody(string ConnectionId, string? User, Dictionary<string, string> Query, string Node);

    private sealed record MessageBody(string ConnectionId, string? User, string To, string Event, JsonElement Data);

    private sealed record JoinBody(string ConnectionId, string? User, string Group);

    private sealed record DisconnectBody(string ConnectionId, string? User, string Node);

    private sealed record CallBody(string ConnectionId, string? User, string Method, JsonElement Data);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Upstream answered {Event} of connection {ConnectionId} with a 2xx whose body Hub cannot read ({Problem}): refused.")]
        public static partial void InvalidBody(ILogger logger, string @event, string connectionId, string problem);

        [LoggerMessage(2, LogLevel.Debug, "Upstream unavailable for {Event} of connection {ConnectionId}: allowed (Hub:Upstream:FailOpen).")]
        public static partial void FailedOpen(ILogger logger, string @event, string connectionId);
    }
}
