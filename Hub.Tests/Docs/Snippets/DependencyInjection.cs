using Hub.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Docs.Snippets;

/// <summary>Hub.Client registered for dependency injection, as docs/protocol.md shows it.</summary>
internal sealed class DependencyInjection : SnippetContext
{
    /// <summary>Runs the snippet and hands its client to <paramref name="use"/> before the provider disposes it.</summary>
    public static async Task RunAsync(Func<HubClient, Task> use)
    {
        #region program
        var services = new ServiceCollection();
        services.AddHubClient(o => o.Url = new Uri("http://localhost:5000/hub"));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HubClient>();
        #endregion
        await use(client);
    }
}
