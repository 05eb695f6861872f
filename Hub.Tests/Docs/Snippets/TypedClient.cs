using Hub.Client;

namespace Hub.Tests.Docs.Snippets;

/// <summary>The typed client of docs/protocol.md: options, events, and reading messages as a stream.</summary>
internal sealed class TypedClient : SnippetContext
{
    public static async Task RunAsync()
    {
        #region program
        await using var client = new HubClient(new HubClientOptions
        {
            Url = new Uri("http://localhost:5000/hub?user=bob"),   // or Urls: nodes tried in turn
            Protocol = HubProtocolKind.MessagePack,                // Json by default
        });
        client.MemberJoined += e => Console.WriteLine($"{e.User} joined {e.Group}");
        client.MessagesLost += streams => Console.WriteLine($"lost messages on {string.Join(", ", streams)}");
        await client.StartAsync();
        JoinResult room = await client.JoinAsync("room");
        PresenceSnapshot online = await client.GetPresenceAsync("room");
        Console.WriteLine($"{online.UserCount} in the room, which is at offset {room.Offset}");

        await foreach (Message message in client.ReadMessagesAsync())
        {
            Console.WriteLine($"{message.Stream} #{message.Offset} {message.User}: {message.Text}");
            if (message.Text == "bye")
            {
                break;
            }
        }
        #endregion
    }
}
