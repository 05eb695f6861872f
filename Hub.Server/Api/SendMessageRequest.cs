using System.Text;
using System.Text.Json;
using Hub.Server.Limits;
using Microsoft.Net.Http.Headers;

namespace Hub.Server.Api;

/// <summary>
/// The body of every send: <c>{ "event": …, "data": … }</c> (the event optional), or the older
/// shorthand <c>{ "text": … }</c>, which is event <c>message</c> with the text as its data.
/// </summary>
internal sealed record SendMessageRequest
{
    /// <summary>What a caller whose body is not JSON is told, here and for routing's own 415.</summary>
    public const string JsonExpected = "The request body must be JSON: send it with 'Content-Type: application/json'.";

    private const string Shapes = "{ \"event\": \"...\", \"data\": <any JSON value> } or { \"text\": \"...\" }";

    /// <summary>The event name: 1 to 128 characters, no control characters; <c>message</c> when not given.</summary>
    public string? Event { get; init; }

    /// <summary>The data: any JSON value but null (object, array, string, number or boolean). Give this or <c>text</c>.</summary>
    public JsonElement Data { get; init; }

    /// <summary>The shorthand for a string as data (empty is allowed). Give this or <c>data</c>.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// Reads the body here rather than through parameter binding: the framework answers a body it
    /// cannot read with an empty 400 (or, in Development, an exception) before any filter runs,
    /// and a caller deserves to be told what was wrong.
    /// </summary>
    /// <returns>The event (null when not given) and the data, a text as its JSON string.</returns>
    /// <exception cref="BadHttpRequestException">The body is not JSON of either shape.</exception>
    public static async Task<(string? Event, JsonElement Data)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
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
            throw new BadHttpRequestException($"The request body is not valid JSON of the form {Shapes}: {ex.Message}");
        }

        // A JSON null for data is data (and refused as such); an absent one is none.
        var hasData = body is not null && body.Data.ValueKind != JsonValueKind.Undefined;
        return (hasData, body?.Text) switch
        {
            (true, not null) => throw new BadHttpRequestException(
                $"The request body has both \"data\" and \"text\": send one, {Shapes}."),
            (true, null) => (body!.Event, body.Data),
            (false, { } text) => (body!.Event, InputRules.TextData(text)),
            (false, null) => throw new BadHttpRequestException(
                $"The request body has neither \"data\" nor \"text\": send {Shapes} (text a string; empty is allowed)."),
        };
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
