using Hub.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Infrastructure;

/// <summary>A <see cref="HubClient"/> whose messages and events land in inboxes a test can wait on.</summary>
public sealed class TestClient : IAsyncDisposable
{
    public TestClient(HubClientOptions options)
    {
        options.ReconnectPolicy ??= new QuickRetry();
        Client = new HubClient(options);
        Client.MessageReceived += Messages.Add;
        Client.MemberJoined += Joined.Add;
        Client.MemberLeft += Left.Add;
        Client.MessagesLost += Lost.Add;
        Client.Reconnected += id => Reconnected.Add(id ?? "");
    }

    public HubClient Client { get; }

    public Inbox<Message> Messages { get; } = new();

    public Inbox<PresenceEvent> Joined { get; } = new();

    public Inbox<PresenceEvent> Left { get; } = new();

    public Inbox<IReadOnlyList<string>> Lost { get; } = new();

    public Inbox<string> Reconnected { get; } = new();

    public string ConnectionId => Client.ConnectionId ?? throw new InvalidOperationException("The client is not connected.");

    public static Uri HubUrl(HubNode node, string? user) =>
        user is null ? node.HubUrl : new Uri($"{node.HubUrl}?user={Uri.EscapeDataString(user)}");

    /// <summary>A started client of <paramref name="user"/> on <paramref name="node"/>, in <paramref name="group"/>.</summary>
    public static async Task<TestClient> InGroupAsync(HubNode node, string user, string group)
    {
        var client = new TestClient(new HubClientOptions { Url = HubUrl(node, user) });
        await client.Client.StartAsync().Within();
        await client.Client.JoinAsync(group).Within();
        return client;
    }

    public ValueTask DisposeAsync() => new(Client.DisposeAsync().AsTask().WaitAsync(Bounded.Default));

    /// <summary>Tests reconnect at once and then every 200 ms, so a test waits for the server, not the backoff.</summary>
    private sealed class QuickRetry : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(200);
    }
}
