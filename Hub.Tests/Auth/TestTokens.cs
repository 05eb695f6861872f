using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hub.Tests.Auth;

/// <summary>HS256 tokens as an identity provider would issue them, and the node settings that accept them.</summary>
public static class TestTokens
{
    public const string Key = "a-test-signing-key-that-is-long-enough-for-hs256";
    public const string Issuer = "https://issuer.test";
    public const string Audience = "hub-tests";

    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>Settings of a node in Jwt mode that accepts the tokens <see cref="Create"/> makes by default.</summary>
    public static Dictionary<string, string?> NodeSettings() => new()
    {
        ["Hub:Auth:Mode"] = "Jwt",
        ["Hub:Auth:Jwt:SigningKey"] = Key,
        ["Hub:Auth:Jwt:Issuer"] = Issuer,
        ["Hub:Auth:Jwt:Audience"] = Audience,
    };

    /// <param name="subject">The <c>sub</c> claim; null leaves it out.</param>
    /// <param name="expires">Default: ten minutes from now; <see cref="DateTime.MaxValue"/> leaves <c>exp</c> out.</param>
    /// <param name="key">The signing key's bytes; default: the UTF-8 bytes of <see cref="Key"/>.</param>
    /// <param name="groups">The <c>groups</c> claim: a string array, one string, or null for none.</param>
    public static string Create(
        string? subject,
        DateTime? expires = null,
        byte[]? key = null,
        string issuer = Issuer,
        string audience = Audience,
        object? groups = null)
    {
        var claims = new Dictionary<string, object>();
        if (subject is not null)
        {
            claims["sub"] = subject;
        }

        if (groups is not null)
        {
            claims["groups"] = groups;
        }

        var expiry = expires ?? DateTime.UtcNow.AddMinutes(10);
        var neverExpires = expiry == DateTime.MaxValue;
        var issuedAt = neverExpires ? DateTime.UtcNow.AddMinutes(-1) : expiry.AddMinutes(-20);
        var handler = neverExpires ? new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false } : Handler;
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = neverExpires ? null : expiry,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(key ?? Encoding.UTF8.GetBytes(Key)), SecurityAlgorithms.HmacSha256),
        });
    }
}
