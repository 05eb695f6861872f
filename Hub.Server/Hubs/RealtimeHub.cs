using System.Text.Json;
using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Groups;
using Hub.Server.Handlers;
using Hub.Server.Limits;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Hub.Server.Recovery;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Hubs;

/// <summary>
/// The hub at <c>/hub</c>: the open / message / close callbacks of a long-connection server,
/// with every send going through the cluster bus.
/// </summary>
internal sealed partial class RealtimeHub(
    MessagePublisher publisher,
    GroupMembership groups,
    ConnectionDepartures departures,
    IPresenceStore presence,
    StreamRecovery recovery,
    ApplicationHandler application,
    InputRules rules,
    HubMetrics metrics,
    IOptions<ClusterOptions> cluster,
    ILogger<RealtimeHub> logger) : Hub<IHubClient>, IHubServer
{
    private static readonly JsonElement NullResult = JsonElement.Parse("null");

    public override async Task OnConnectedAsync()
    {
        var outcome = Outcome();
        if (outcome?.Refusal is { } refusal)
        {
            throw refusal;
        }

        var user = Context.UserIdentifier;
        if (user is not null)
        {
            NameRules.ValidateUser(user);
        }

        await presence.AddConnectionAsync(new ConnectionEntry(Context.ConnectionId, user, cluster.Value.NodeId), Context.ConnectionAborted);
        if (user is not null)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, LocalStreams.UserGroup(user), Context.ConnectionAborted);
            await groups.SeedAsync(Target.User(user).Stream, Context.ConnectionAborted);
        }

        // Through the groups' own way, so presence and MemberJoined are as for a Join.
        foreach (var group in outcome?.Groups ?? [])
        {
            await groups.JoinAsync(Context.ConnectionId, user, group, Context.ConnectionAborted);
        }

        metrics.ConnectionOpened(Context.Features);
        Log.Connected(logger, Context.ConnectionId, user);
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        metrics.ConnectionClosed(Context.Features);
        await departures.ForgetConnectionAsync(Context.ConnectionId, Context.UserIdentifier);
        if (application.Handler is not null)
        {
            application.Disconnected(new DisconnectContext(Context.ConnectionId, Context.UserIdentifier, cluster.Value.NodeId));
        }

        Log.Disconnected(logger, Context.ConnectionId, Context.UserIdentifier, exception?.Message);
    }

    public Task<SendResult> Publish(PublishRequest request) => request is null
        ? throw HubRequestException.Invalid("The request is missing: send { to, event, data }.")
        : publisher.PublishAsync(Target.ParseStream(request.To), request.Event, request.Data,
            Context.ConnectionId, Context.UserIdentifier, Context.ConnectionAborted);

    public Task<SendResult> Send(string text) => PublishTextAsync(Target.All, text);

    public Task<SendResult> SendToConnection(string connectionId, string text) => PublishTextAsync(Target.Connection(connectionId), text);

    public Task<SendResult> SendToUser(string userId, string text) => PublishTextAsync(Target.User(userId), text);

    public Task<SendResult> SendToGroup(string group, string text) => PublishTextAsync(Target.Group(group), text);

    public Task<JoinResult> Join(string group) => application.Handler is null
        ? groups.JoinAsync(Context.ConnectionId, Context.UserIdentifier, group, Context.ConnectionAborted)
        : JoinAskingAsync(group);

    /// <summary>
    /// An application method: the handler's answer is the result. Its data is any JSON value
    /// (null included), under the limits of a message's data.
    /// </summary>
    public async Task<JsonElement> Call(string method, JsonElement data)
    {
        NameRules.ValidateMethod(method);
        if (data.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            rules.ValidateData(data);
        }

        if (application.Handler is null)
        {
            throw new HubRequestException(RequestError.Refused, $"There is no method '{method}': this hub has no application handler.");
        }

        var answer = await application.CallAsync(new CallContext(Context.ConnectionId, Context.UserIdentifier, method, data), Context.ConnectionAborted);
        // A result left unset (default JsonElement) is null to the caller, not a fault in writing it.
        return answer.Result.ValueKind == JsonValueKind.Undefined ? NullResult : answer.Result;
    }

    public Task Leave(string group) =>
        groups.LeaveAsync(Context.ConnectionId, Context.UserIdentifier, group, Context.ConnectionAborted);

    public Task<ResumeResult> Resume(ResumeRequest request) =>
        recovery.ResumeAsync(Context.ConnectionId, Context.UserIdentifier, request, GivenGroups(), Context.ConnectionAborted);

    public Task<PresenceSnapshot> GetPresence(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return presence.GetSnapshotAsync(null, Context.ConnectionAborted);
        }

        NameRules.ValidateGroup(group);
        return presence.GetSnapshotAsync(group, Context.ConnectionAborted);
    }

    // What the application's handler decided when the connection opened (RegisteringHubLifetimeManager).
    private ConnectOutcome? Outcome() =>
        application.Handler is not null && Context.Items.TryGetValue(ConnectOutcome.Key, out var decided) ? decided as ConnectOutcome : null;

    // The groups the application's handler put the connection in when it connected.
    private IReadOnlyList<string>? GivenGroups() => Outcome()?.Groups;

    private async Task<JoinResult> JoinAskingAsync(string group)
    {
        NameRules.ValidateGroup(group);
        await application.JoinAsync(new JoinContext(Context.ConnectionId, Context.UserIdentifier, group), Context.ConnectionAborted);
        return await groups.JoinAsync(Context.ConnectionId, Context.UserIdentifier, group, Context.ConnectionAborted);
    }

    private Task<SendResult> PublishTextAsync(Target target, string text) =>
        publisher.PublishTextAsync(target, text, Context.ConnectionId, Context.UserIdentifier, Context.ConnectionAborted);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} opened (user {User}).")]
        public static partial void Connected(ILogger logger, string connectionId, string? user);

        [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} closed (user {User}): {Reason}")]
        public static partial void Disconnected(ILogger logger, string connectionId, string? user, string? reason);
    }
}
