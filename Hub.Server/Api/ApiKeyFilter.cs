using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Api;

/// <summary>
/// Lets a request through only with one of <c>Hub:Api:Keys</c>, in <c>X-Api-Key</c> or as a
/// bearer token. An endpoint filter, not an authentication scheme, so it stays out of the way of
/// the hub's own (JWT) authentication.
/// </summary>
internal sealed partial class ApiKeyFilter(IOptions<ApiOptions> options, ILogger<ApiKeyFilter> logger) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    private const string BearerPrefix = "Bearer ";

    // Compared as SHA-256 hashes: every comparison is over 32 bytes, so neither the time taken
    // nor an early exit tells a caller how long a key is or how much of it matched.
    private readonly byte[][] _keyHashes = [.. options.Value.Keys.Select(Hash)];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var refusal = _keyHashes.Length == 0
            ? "The HTTP API is disabled: no API keys are configured (Hub:Api:Keys)."
            : PresentedKey(http.Request) is not { } key
                ? $"An API key is required: send it in the {HeaderName} header or as 'Authorization: Bearer <key>'."
                : !IsConfigured(key)
                    ? "The API key is not valid."
                    : null;
        if (refusal is null)
        {
            return next(context);
        }

        Log.Refused(logger, http.Request.Path, refusal);
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"Hub API\"";
        return ValueTask.FromResult<object?>(TypedResults.Problem(refusal, statusCode: StatusCodes.Status401Unauthorized));
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && !string.IsNullOrEmpty(header))
        {
            return header.ToString();
        }

        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        return authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) && authorization.Length > BearerPrefix.Length
            ? authorization[BearerPrefix.Length..].Trim()
            : null;
    }

    private bool IsConfigured(string key)
    {
        var presented = Hash(key);
        var match = false;
        foreach (var configured in _keyHashes)
        {
            // No short cut: every configured key is compared, whichever matches.
            match |= CryptographicOperations.FixedTimeEquals(presented, configured);
        }

        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "HTTP API request to {Path} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string path, string reason);
    }
}
