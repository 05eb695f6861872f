namespace Hub.Server.Core;

/// <summary>
/// A response held back while the rest of the pipeline writes it, so a middleware can read it
/// (a negotiate's connection id) and then pass it on, or answer otherwise. For small responses only.
/// </summary>
internal sealed class CapturedResponse : IDisposable
{
    private readonly MemoryStream _body = new();

    private CapturedResponse()
    {
    }

    public ReadOnlyMemory<byte> Body => _body.GetBuffer().AsMemory(0, (int)_body.Length);

    /// <summary>Runs <paramref name="next"/> with the response body captured; the original body is back in place when it returns.</summary>
    public static async Task<CapturedResponse> RunAsync(HttpContext context, RequestDelegate next)
    {
        var captured = new CapturedResponse();
        var body = context.Response.Body;
        context.Response.Body = captured._body;
        try
        {
            await next(context);
        }
        catch
        {
            captured.Dispose();
            throw;
        }
        finally
        {
            context.Response.Body = body;
        }

        return captured;
    }

    /// <summary>Writes what was captured to the response as it was.</summary>
    public Task PassOnAsync(HttpContext context)
    {
        _body.Position = 0;
        return _body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public void Dispose() => _body.Dispose();
}
