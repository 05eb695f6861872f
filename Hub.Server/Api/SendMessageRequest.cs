using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Api;

/// <summary>The body of every send: <c>{ "text": … }</c>.</summary>
internal sealed record SendMessageRequest
{
    /// <summary>What a caller whose body is not JSON is told, here and for routing's own 415.</summary>
    public const string JsonExpected = "The request body must be JSON: send it with 'Content-Type: application/json'.";

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
            throw new BadHttpRequestException(JsonExpected, StatusCodes.Status415UnsupportedMediaType);
        }

        RequireReadableCharset(request);
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

    /// <summary>
    /// ReadFromJsonAsync reads UTF-8 and transcodes any other charset the runtime knows, but throws
    /// InvalidOperationException (a 500) for one it does not ('bogus', 'utf-7', even a quoted
    /// "utf-8": dotnet/aspnetcore#61514). The same rule, applied first, makes that the caller's 415.
    /// </summary>
    private static void RequireReadableCharset(HttpRequest request)
    {
        var charset = MediaTypeHeaderValue.Parse(request.ContentType).Charset;
        if (!charset.HasValue || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        try
        {
            _ = Encoding.GetEncoding(charset.Value);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new BadHttpRequestException(
                $"The request body's charset '{charset}' is not one the node can read: send UTF-8 with 'Content-Type: application/json'.",
                StatusCodes.Status415UnsupportedMediaType);
        }
    }
}
