using Hub.Server;
using Hub.Server.Handlers;

namespace Hub.Tests.Docs.Snippets;

/// <summary>
/// docs/applications.md: an application with Hub inside (its handler and a client's calls are in
/// <see cref="ApplicationCalls"/>). Compiled as written; <c>ApplicationHandlerTests</c> runs an
/// application like it, <c>samples/ChatApp</c>.
/// </summary>
internal sealed class Applications : SnippetContext
{
    public static void Program(string[] args)
    {
        #region program
        var builder = WebApplication.CreateBuilder(args);
        builder.AddRealtimeHub(o => o.UseHandler<ChatHandler>());   // every part of a node, and your handler

        var app = builder.Build();
        app.MapRealtimeHub();                                        // its middleware and endpoints
        app.MapGet("/", () => "my app");                            // the application's own
        app.Run();
        #endregion
    }
}
