namespace Hub.Server.Handlers;

internal static class HandlersServiceCollectionExtensions
{
    /// <summary>The application's handler, as the hooks reach it (<see cref="ApplicationHandler"/>), and the decisions taken at negotiate.</summary>
    public static WebApplicationBuilder AddHubHandlers(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApplicationHandler>();
        builder.Services.AddSingleton<ConnectDecisions>();
        return builder;
    }
}
