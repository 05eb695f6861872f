using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Server.Health;

internal static class HealthExtensions
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHubHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<BackplaneHealthCheck>("backplane", tags: [ReadyTag])
            .AddCheck<DrainHealthCheck>("draining", tags: [ReadyTag]);
        // The framework logs every unhealthy probe as an error: a line per readiness probe for as
        // long as Redis is away or the node drains. Both say so once themselves, and /readyz's
        // body names the failing check; our checks never throw, so nothing else is hidden.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.None);
        return builder;
    }

    public static WebApplication MapHubHealth(this WebApplication app)
    {
        // Alive means the process answers: no check, so a Redis outage never gets a node restarted.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return app;
    }

    /// <summary>Names each check with its state, so an operator sees why a node is not ready.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
