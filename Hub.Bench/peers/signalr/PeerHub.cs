using Microsoft.AspNetCore.SignalR;

namespace Hub.Bench.SignalRPeer;

/// <summary>
/// The bench's calls, each completed once the backplane has published the message (Redis's
/// reply), as Hub completes a Send. Every message reaches clients as <c>Receive({ text })</c>.
/// </summary>
internal sealed class PeerHub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>A group nobody joins: the readiness probe sends to it to bring the backplane up.</summary>
    public const string ReadyGroup = "bench-ready";

    private const string Receive = "Receive";

    public Task Send(string text) => Clients.All.SendAsync(Receive, new PeerMessage(text));

    public Task SendToGroup(string group, string text) => Clients.Group(group).SendAsync(Receive, new PeerMessage(text));

    public Task SendToUser(string userId, string text) => Clients.User(userId).SendAsync(Receive, new PeerMessage(text));

    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);

    public Task Leave(string group) => Groups.RemoveFromGroupAsync(Context.ConnectionId, group);
}
