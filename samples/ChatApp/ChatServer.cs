using Hub.Server;

namespace ChatApp;

/// <summary>The chat application: its own endpoint and services, and Hub inside it with <see cref="ChatHandler"/> deciding.</summary>
public static class ChatServer
{
    /// <summary>Builds the app; <paramref name="configure"/> sees the builder before anything is added (settings, URLs).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddSingleton<Departures>();
        builder.AddRealtimeHub(o => o.UseHandler<ChatHandler>());

        var app = builder.Build();
        app.MapRealtimeHub();
        app.MapGet("/", () => "A chat: connect to /hub?name=you with a SignalR client.");
        return app;
    }
}
