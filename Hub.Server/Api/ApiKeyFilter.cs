using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Hub.Server.Core;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Api;

/// <summary>
/// Lets a request through only with one of <c>Hub:Api:Keys</c>, in <c>X-Api-Key</c> or as a
/// bearer token. An endpoint filter, not an authentication scheme, so it stays out of the way of
/// the hub's own (JWT) authentication.
/// </summary>
internal sealed partial class ApiKeyFilter(IOptions<ApiOptions> options, HubMetrics metrics, ILogger<ApiKeyFilter> logger) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    private const string BearerPrefix = "Bearer ";

    // Compared as SHA-256 hashes: every comparison is over 32 bytes, so neither the time taken
    // nor an early exit tells a caller how long a key is or how much of it matched.
    private readonly byte[][] _keyHashes = [.. options.Value.Keys.Select(Hash)];

    // One bucket per key, refilled from the elapsed time on each request (no timer).
    private readonly TokenBucketRateLimiter[] _buckets = [.. options.Value.Keys.Select(_ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
    {
        TokenLimit = 2 * options.Value.RequestsPerSecond,
        TokensPerPeriod = options.Value.RequestsPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        AutoReplenishment = false,
        QueueLimit = 0,
    }))];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var index = PresentedKey(http.Request) is { } key ? IndexOf(key) : -2;
        var refusal = _keyHashes.Length == 0
            ? "The HTTP API is disabled: no API keys are configured (Hub:Api:Keys)."
            : index == -2
                ? $"An API key is required: send it in the {HeaderName} header or as 'Authorization: Bearer <key>'."
                : index < 0
                    ? "The API key is not valid."
                    : null;
        if (refusal is null)
        {
            return WithinRate(index) ? next(context) : TooMany(http);
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

    /// <summary>The index of the configured key presented, or -1.</summary>
    private int IndexOf(string key)
    {
        var presented = Hash(key);
        var index = -1;
        for (var i = 0; i < _keyHashes.Length; i++)
        {
            // No short cut: every configured key is compared, whichever matches.
            var equal = CryptographicOperations.FixedTimeEquals(presented, _keyHashes[i]);
            index = equal ? i : index;
        }

        return index;
    }

    private bool WithinRate(int index)
    {
        var bucket = _buckets[index];
        bucket.TryReplenish();
        using var lease = bucket.AttemptAcquire();
        return lease.IsAcquired;
    }

    private ValueTask<object?> TooMany(HttpContext http)
    {
        metrics.Rejected("rate_limited");
        http.Response.Headers.RetryAfter = "1";
        var limit = options.Value.RequestsPerSecond;
        return ValueTask.FromResult<object?>(TypedResults.Problem(
            $"Rate limit exceeded: at most {limit} requests per second per API key (bursts of {2 * limit}, Hub:Api:RequestsPerSecond).",
            statusCode: StatusCodes.Status429TooManyRequests));
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "HTTP API request to {Path} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string path, string reason);
    }
}
