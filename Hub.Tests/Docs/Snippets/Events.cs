using Hub.Client;

namespace Hub.Tests.Docs.Snippets;

/// <summary>Events and typed data with Hub.Client, as docs/protocol.md shows them.</summary>
internal sealed class Events : SnippetContext
{
    /// <summary>Runs the snippet with a started client that is in the group <c>room</c>.</summary>
    public static async Task RunAsync(HubClient client)
    {
        #region fragment
        using var typing = client.On<Typing>("typing", (data, message) => Console.WriteLine($"{message.User} typing: {data.IsTyping}"));
        client.MessageReceived += message =>
        {
            if (message.Event == "order" && message.GetData<Order>() is { } order)
            {
                Console.WriteLine($"order {order.Id}: {order.Total}");
            }
        };

        await client.PublishAsync("group:room", "typing", new Typing(IsTyping: true));
        await client.PublishAsync("group:room", "order", new Order("o-17", 12.50m));
        #endregion
        Console.ReadLine();
    }

    public sealed record Typing(bool IsTyping);

    public sealed record Order(string Id, decimal Total);
}
