using Hub.Server.Connections;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Server.Health;

/// <summary>Ready only while the node can serve clients as a cluster member (<see cref="ClusterReadiness"/>).</summary>
internal sealed class BackplaneHealthCheck(ClusterReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.NotReadyReason is { } reason
            ? HealthCheckResult.Unhealthy(reason)
            : HealthCheckResult.Healthy("The backplane takes messages."));
}
