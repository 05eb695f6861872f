using Hub.Server.Backplane;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Server.Health;

/// <summary>Ready only while the backplane takes messages: without it every send fails.</summary>
internal sealed class BackplaneHealthCheck(IBroker broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(broker.IsAvailable
            ? HealthCheckResult.Healthy("The backplane takes messages.")
            : HealthCheckResult.Unhealthy("The backplane (Redis) is unreachable or this node is not subscribed; sends fail until it is back."));
}
