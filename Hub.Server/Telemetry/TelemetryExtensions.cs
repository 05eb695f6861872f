using OpenTelemetry.Metrics;

namespace Hub.Server.Telemetry;

internal static class TelemetryExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>Hub's instruments plus the framework's own (hosting, Kestrel, SignalR connections, runtime), for Prometheus.</summary>
    public static WebApplicationBuilder AddHubTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<HubMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(
                HubMetrics.MeterName,
                "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Server.Kestrel",
                "Microsoft.AspNetCore.Http.Connections",
                "Microsoft.AspNetCore.SignalR",
                "System.Runtime")
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapHubTelemetry(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
