using Hub.Server.Core;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Auth;

/// <summary>
/// Checks a bearer token that no HTTP request carries (the TCP endpoint's first frame) exactly as
/// a connect to the hub with that token in its <c>Authorization</c> header is checked: through
/// <see cref="HubRequestAuthorization"/>, so the same scheme, events and claims rules decide.
/// </summary>
internal sealed class HubTokenValidator(HubRequestAuthorization authorization, IServiceScopeFactory scopes)
{
    public async Task<TokenCheck> ValidateAsync(string token)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = HubRoutes.Path;
        context.Request.Headers[HeaderNames.Authorization] = $"Bearer {token}";
        var result = await authorization.AuthorizeAsync(context);
        return result is { Allowed: true, User: { } user }
            ? new TokenCheck(user, result.ExpiresUtc?.UtcDateTime ?? DateTime.MaxValue, null)
            : TokenCheck.Refused($"The token was refused: {result.Error ?? "not valid"}");
    }
}
