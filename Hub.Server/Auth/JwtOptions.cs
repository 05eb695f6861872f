using System.Text;

namespace Hub.Server.Auth;

/// <summary>How bearer tokens are checked: <c>Hub:Auth:Jwt</c>.</summary>
internal sealed class JwtOptions
{
    /// <summary>HS256 needs a key of at least 256 bits; a shorter one would be guessable.</summary>
    public const int MinKeyBytes = 32;

    private const string Base64Prefix = "base64:";

    /// <summary>The HS256 key: the value's UTF-8 bytes, or, after a <c>base64:</c> prefix, the decoded bytes.</summary>
    public string? SigningKey { get; set; }

    /// <summary>When set, a token's <c>iss</c> must equal it.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's <c>aud</c> must contain it.</summary>
    public string? Audience { get; set; }

    /// <summary>The key's bytes, or null with the reason when the configured value cannot be a key.</summary>
    public byte[]? KeyBytes(out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(SigningKey))
        {
            problem = "Hub:Auth:Jwt:SigningKey is required when Hub:Auth:Mode is Jwt.";
            return null;
        }

        byte[] bytes;
        if (SigningKey.StartsWith(Base64Prefix, StringComparison.Ordinal))
        {
            try
            {
                bytes = Convert.FromBase64String(SigningKey[Base64Prefix.Length..]);
            }
            catch (FormatException)
            {
                problem = "Hub:Auth:Jwt:SigningKey starts with 'base64:' but the rest is not valid base64.";
                return null;
            }
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(SigningKey);
        }

        if (bytes.Length < MinKeyBytes)
        {
            problem = $"Hub:Auth:Jwt:SigningKey is {bytes.Length} bytes; HS256 needs at least {MinKeyBytes}.";
            return null;
        }

        return bytes;
    }
}
