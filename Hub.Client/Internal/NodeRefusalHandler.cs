using System.Net;
using System.Text.Json;

namespace Hub.Client.Internal;

/// <summary>
/// Turns a node's 503 or 429 with <c>Retry-After</c> — its admission refusing a new connection:
/// stopping, not ready or full (503), past its connects per second (429) — into the
/// <see cref="HttpRequestException"/> SignalR would have thrown, saying why in the node's words
/// (its problem's <c>detail</c>) and carrying the wait (<see cref="RetryHint"/>) for the reconnect policy.
/// </summary>
internal sealed class NodeRefusalHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    // A problem+json refusal is a few hundred bytes; a larger body is not read for its detail.
    private const int MaxDetailBodyBytes = 16 * 1024;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests) || response.Headers.RetryAfter is not { } retryAfter)
        {
            return response;
        }

        using (response)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
            var detail = await DetailOf(response, cancellationToken).ConfigureAwait(false) ?? response.ReasonPhrase;
            throw RetryHint.Attach(
                new HttpRequestException($"The node refused the connection ({(int)response.StatusCode}): {detail}", null, response.StatusCode),
                wait);
        }
    }

    private static async Task<string?> DetailOf(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxDetailBodyBytes)
        {
            return null;
        }

        try
        {
            // Chunked (as ASP.NET Core writes a problem): read whole, but no more than the limit.
            await response.Content.LoadIntoBufferAsync(MaxDetailBodyBytes, cancellationToken).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var problem = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return problem.RootElement.ValueKind == JsonValueKind.Object &&
                problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? detail.GetString()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            return null;
        }
    }
}
