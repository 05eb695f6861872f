using Hub.Server.Backplane;
using Hub.Server.Presence;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hub.Server.Health;

/// <summary>
/// Ready only while the backplane takes messages (without it every send fails) and the node may
/// list its connections in presence (until then every connect fails).
/// </summary>
internal sealed class BackplaneHealthCheck(IBroker broker, PreviousRunCleared previousRun) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult((broker.IsAvailable, previousRun.IsDone) switch
        {
            (false, _) => HealthCheckResult.Unhealthy("The backplane (Redis) is unreachable or this node is not subscribed; sends fail until it is back."),
            (_, false) => HealthCheckResult.Unhealthy("The node is clearing what its previous run left in presence; connects fail until it has."),
            _ => HealthCheckResult.Healthy("The backplane takes messages."),
        });
}
