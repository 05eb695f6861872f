using System.Text.Json;

namespace Hub.Client;

/// <summary>
/// The methods a client calls on the hub at <c>/hub</c>. The server implements this interface,
/// so client and server cannot drift apart.
/// </summary>
public interface IHubServer
{
    /// <summary>
    /// Publishes <see cref="PublishRequest.Data"/> as <see cref="PublishRequest.Event"/> to the stream
    /// <see cref="PublishRequest.To"/> (<c>all</c>, <c>group:{name}</c>, <c>user:{id}</c> or
    /// <c>connection:{id}</c>), under the rules of the <c>Send</c> methods.
    /// </summary>
    Task<SendResult> Publish(PublishRequest request);

    /// <summary>
    /// Calls the application's method <paramref name="method"/> (1 to 128 characters) with
    /// <paramref name="data"/> (any JSON value, null included): the application's handler answers,
    /// on the node the caller is connected to, and its answer is the result. A refusal fails the call
    /// with the application's reason.
    /// </summary>
    Task<JsonElement> Call(string method, JsonElement data);

    /// <summary>Broadcasts <paramref name="text"/> (event <c>message</c>, the text as its data) to every connection on every node, the sender included.</summary>
    Task<SendResult> Send(string text);

    /// <summary>Pushes <paramref name="text"/> to one connection, on whichever node it is.</summary>
    Task<SendResult> SendToConnection(string connectionId, string text);

    /// <summary>Pushes <paramref name="text"/> to every connection of a user, cluster-wide.</summary>
    Task<SendResult> SendToUser(string userId, string text);

    /// <summary>Pushes <paramref name="text"/> to every member of a group, cluster-wide. The sender need not be a member.</summary>
    Task<SendResult> SendToGroup(string group, string text);

    /// <summary>Adds the caller to a group; the other members get <see cref="IHubClient.MemberJoined"/>.</summary>
    Task<JoinResult> Join(string group);

    /// <summary>Removes the caller from a group; the other members get <see cref="IHubClient.MemberLeft"/>. Leaving a group the caller is not in does nothing.</summary>
    Task Leave(string group);

    /// <summary>
    /// After a reconnect: replays what the caller missed on each named stream since the given
    /// positions (through <see cref="IHubClient.Receive"/>, before this call returns), then the
    /// caller continues to receive live messages.
    /// </summary>
    Task<ResumeResult> Resume(ResumeRequest request);

    /// <summary>Cluster-wide presence of a group, or of the whole hub when <paramref name="group"/> is null or empty.</summary>
    Task<PresenceSnapshot> GetPresence(string? group);
}
