using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Server.Health;

/// <summary>Not ready once the node is stopping, so a load balancer sends nobody new its way.</summary>
internal sealed class DrainHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("The node is draining: it takes no new connections.")
            : HealthCheckResult.Healthy("The node takes connections."));
}
