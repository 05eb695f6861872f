using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Server.Auth;

/// <summary>Sets up the hub's bearer scheme from the validated <c>Hub:Auth:Jwt</c> settings.</summary>
internal sealed class ConfigureHubJwtBearer(IOptions<AuthOptions> auth) : IConfigureNamedOptions<JwtBearerOptions>
{
    /// <summary>
    /// Tolerance for clocks that disagree between the token issuer and the nodes. Small, because
    /// a token stays usable this long past its expiry.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name == AuthServiceCollectionExtensions.Scheme)
        {
            Configure(options);
        }
    }

    public void Configure(JwtBearerOptions options)
    {
        var jwt = auth.Value.Jwt;

        // Claims keep their JWT names ("sub", "groups") instead of the WS-* URIs of old.
        options.MapInboundClaims = false;
        options.Events = new HubJwtBearerEvents();
        options.TokenValidationParameters = new TokenValidationParameters
        {
            // No key (Mode=None, where the scheme is never asked) leaves every token invalid.
            IssuerSigningKey = jwt.KeyBytes(out _) is { } key ? new SymmetricSecurityKey(key) : null,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = !string.IsNullOrEmpty(jwt.Issuer),
            ValidIssuer = jwt.Issuer,
            ValidateAudience = !string.IsNullOrEmpty(jwt.Audience),
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = ClockSkew,
            NameClaimType = HubClaims.Subject,
        };
    }
}
