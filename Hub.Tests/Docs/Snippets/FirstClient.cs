using Hub.Client;

namespace Hub.Tests.Docs.Snippets;

/// <summary>The first .NET client of README.md and Hub.Client/README.md: a console program's top-level statements.</summary>
internal sealed class FirstClient : SnippetContext
{
    public static async Task RunAsync()
    {
        #region program
        await using var client = new HubClient(new HubClientOptions
        {
            Url = new Uri("http://localhost:5000/hub?user=alice"),
        });
        client.MessageReceived += m => Console.WriteLine($"{m.Stream} #{m.Offset} {m.User}: {m.Text}");
        await client.StartAsync();
        await client.JoinAsync("room");
        await client.SendToGroupAsync("room", "hello");
        Console.ReadLine();   // receive until Enter
        #endregion
    }
}
