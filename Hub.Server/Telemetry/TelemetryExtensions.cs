using Hub.Server.Core;
using OpenTelemetry.Metrics;

namespace Hub.Server.Telemetry;

internal static class TelemetryExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Hub's instruments plus the framework's own (hosting, Kestrel and its memory pool, SignalR
    /// connections, runtime), for Prometheus.
    /// </summary>
    public static WebApplicationBuilder AddHubTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(
                HubMetrics.MeterName,
                "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Server.Kestrel",
                // The send and receive buffers: a broadcast to every connection of a node grows it
                // by up to a 4 KiB block per connection, released to the collector once idle.
                "Microsoft.AspNetCore.MemoryPool",
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
