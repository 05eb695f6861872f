using System.Security.Claims;
using Hub.Server.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Hub.Server.Auth;

/// <summary>
/// What the hub endpoint's authorization decides for a connect, for a way in that is not an HTTP
/// request through the pipeline (a WebSocket served before HTTP, a TCP client's token): the
/// endpoint's own policy, evaluated by the framework's policy evaluator as the authorization
/// middleware does, with the schemes, events and claims checks the HTTP path runs. One check,
/// not a copy of it.
/// </summary>
internal sealed class HubRequestAuthorization(
    EndpointDataSource endpoints,
    IAuthorizationPolicyProvider policies,
    IPolicyEvaluator evaluator)
{
    private AuthorizationPolicy? _policy;

    /// <summary>
    /// Authenticates <paramref name="context"/> (a request to the hub's connect endpoint) and
    /// authorizes it as HTTP would; its <c>RequestServices</c> must be a scope of the node's.
    /// </summary>
    public async Task<HubAuthorizationResult> AuthorizeAsync(HttpContext context)
    {
        var policy = _policy ??= await ConnectPolicyAsync();
        var authentication = await evaluator.AuthenticateAsync(policy, context);
        var authorization = await evaluator.AuthorizeAsync(policy, authentication, context, context);
        return authorization.Succeeded
            ? new HubAuthorizationResult(true, context.User.Identity?.IsAuthenticated == true ? context.User : null, authentication.Properties?.ExpiresUtc, null)
            : new HubAuthorizationResult(false, null, null, authentication.Failure?.Message ?? "The hub's authorization policy refused the request.");
    }

    // The connect endpoint's metadata, as the authorization middleware combines it.
    private async Task<AuthorizationPolicy> ConnectPolicyAsync()
    {
        var hub = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Single(e => string.Equals(e.RoutePattern.RawText, HubRoutes.Path, StringComparison.OrdinalIgnoreCase));
        return await AuthorizationPolicy.CombineAsync(
                policies,
                hub.Metadata.GetOrderedMetadata<IAuthorizeData>(),
                hub.Metadata.GetOrderedMetadata<AuthorizationPolicy>())
            ?? await policies.GetFallbackPolicyAsync()
            ?? new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();
    }
}
