using Hub.Server.Core;

namespace Hub.Server.Api;

/// <summary>
/// Turns what went wrong into an RFC 9457 problem whose <c>detail</c> says what: bad input,
/// an unknown connection, an unavailable backplane in plain words; anything unexpected as a
/// reference to the server log, never its internals.
/// </summary>
internal sealed partial class ApiErrorFilter(ILogger<ApiErrorFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (HubRequestException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusOf(ex.Kind));
        }
        catch (BackplaneUnavailableException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (BadHttpRequestException ex)
        {
            // Unreadable bodies (ours, and Kestrel's "request body too large").
            return TypedResults.Problem(ex.Message, statusCode: ex.StatusCode);
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The caller is gone; nobody reads an answer.
            return TypedResults.Empty;
        }
        catch (Exception ex)
        {
            var reference = Guid.NewGuid().ToString("N")[..12];
            Log.Unexpected(logger, context.HttpContext.Request.Method, context.HttpContext.Request.Path, reference, ex);
            return TypedResults.Problem(
                $"The request failed on the server (reference {reference} in the server log).",
                statusCode: StatusCodes.Status500InternalServerError,
                extensions: new Dictionary<string, object?> { ["reference"] = reference });
        }
    }

    private static int StatusOf(RequestError kind) => kind switch
    {
        RequestError.Invalid => StatusCodes.Status400BadRequest,
        RequestError.NotFound => StatusCodes.Status404NotFound,
        RequestError.Forbidden or RequestError.Refused => StatusCodes.Status403Forbidden,
        RequestError.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "HTTP API request {Method} {Path} failed unexpectedly (reference {Reference}).")]
        public static partial void Unexpected(ILogger logger, string method, string path, string reference, Exception exception);
    }
}
