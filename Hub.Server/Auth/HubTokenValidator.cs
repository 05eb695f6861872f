using System.Security.Claims;
using Hub.Server.Limits;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Hub.Server.Auth;

/// <summary>
/// Checks a token where no HTTP request carries it through the bearer handler (the TCP
/// endpoint's first frame, a WebSocket served before HTTP), exactly as the hub's bearer
/// scheme checks it: the same validation parameters, and a valid <c>sub</c> claim.
/// </summary>
internal sealed class HubTokenValidator(IOptionsMonitor<JwtBearerOptions> bearer)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<TokenCheck> ValidateAsync(string token)
    {
        var options = bearer.Get(AuthServiceCollectionExtensions.Scheme);
        var result = await Handler.ValidateTokenAsync(token, options.TokenValidationParameters);
        if (!result.IsValid)
        {
            return TokenCheck.Refused($"The token was refused: {result.Exception?.Message ?? "not valid"}");
        }

        var subject = result.ClaimsIdentity.FindFirst(HubClaims.Subject)?.Value;
        return InputRules.IsValidName(subject)
            ? new TokenCheck(new ClaimsPrincipal(result.ClaimsIdentity), result.SecurityToken.ValidTo, null)
            : TokenCheck.Refused($"The token has no valid '{HubClaims.Subject}' claim; the hub takes the user id from it.");
    }
}
