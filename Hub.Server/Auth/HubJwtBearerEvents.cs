using Hub.Server.Core;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Auth;

/// <summary>Where the hub finds a token, and what a valid token must also carry.</summary>
internal sealed class HubJwtBearerEvents : JwtBearerEvents
{
    public const string QueryParameter = "access_token";

    public override Task MessageReceived(MessageReceivedContext context)
    {
        // Browsers cannot set headers on WebSockets or EventSource, so the SignalR JS client puts
        // the token in the query string. Only the hub accepts it there: a URL ends up in access
        // logs and proxies, so nothing else should invite tokens into one.
        var request = context.Request;
        if (!request.Headers.ContainsKey(HeaderNames.Authorization) &&
            request.Path.StartsWithSegments(HubRoutes.Path) &&
            request.Query.TryGetValue(QueryParameter, out var token))
        {
            context.Token = token.ToString();
        }

        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        // Refused here, with a 401, rather than when the hub opens the connection: a client then
        // learns at negotiate that its token is unusable, like any other bad token.
        var subject = context.Principal?.FindFirst(HubClaims.Subject)?.Value;
        if (subject is null)
        {
            context.Fail($"The token has no '{HubClaims.Subject}' claim; the hub takes the user id from it.");
        }
        else if (!NameRules.IsValidName(subject))
        {
            context.Fail($"The token's '{HubClaims.Subject}' claim is not a valid user id (1 to {NameRules.MaxNameLength} characters, no control characters, no '/').");
        }

        return Task.CompletedTask;
    }
}
