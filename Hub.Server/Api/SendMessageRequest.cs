using System.Text.Json;

namespace Hub.Server.Api;

/// <summary>The body of every send: <c>{ "text": … }</c>.</summary>
internal sealed record SendMessageRequest
{
    public string? Text { get; init; }

    /// <summary>
    /// Reads the body here rather than through parameter binding: the framework answers a body it
    /// cannot read with an empty 400 (or, in Development, an exception) before any filter runs,
    /// and a caller deserves to be told what was wrong.
    /// </summary>
    /// <exception cref="BadHttpRequestException">The body is not JSON of this shape.</exception>
    public static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Routing refuses another content type (the routes' Accepts metadata); a missing one gets here.
        if (!request.HasJsonContentType())
        {
            throw new BadHttpRequestException(
                "The request body must be JSON: send it with 'Content-Type: application/json'.",
                StatusCodes.Status415UnsupportedMediaType);
        }

        SendMessageRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<SendMessageRequest>(cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"The request body is not valid JSON of the form {{ \"text\": \"...\" }}: {ex.Message}");
        }

        return body?.Text ?? throw new BadHttpRequestException(
            "The request body has no \"text\": send { \"text\": \"...\" } (a string; empty is allowed).");
    }
}
