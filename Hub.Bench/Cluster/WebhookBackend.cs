using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hub.Bench.Cluster;

/// <summary>
/// The application backend of the upstream scenario, in the bench's process on 127.0.0.1: it
/// checks each webhook's signature, as a real one must, reads the JSON, and allows everything
/// (204), so that what is measured is what asking a backend costs Hub, not the backend's own work.
/// </summary>
internal sealed class WebhookBackend : IAsyncDisposable
{
    public const string Secret = "bench webhook secret";

    private WebApplication _app = null!;
    private long _allowed;
    private long _refused;

    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Secret);

    public static async Task<WebhookBackend> StartAsync(int port)
    {
        var backend = new WebhookBackend();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/hooks/{event}", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Key, buffer.GetBuffer().AsSpan(0, (int)buffer.Length))));
            if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(request.Headers["X-Hub-Signature-256"].ToString())))
            {
                Interlocked.Increment(ref backend._refused);
                return Results.Problem(statusCode: 401, detail: "The signature does not match.");
            }

            Interlocked.Increment(ref backend._allowed);
            return Results.NoContent();
        });
        await app.StartAsync();
        backend._app = app;
        return backend;
    }

    /// <summary>Stops it, and says how many webhooks it answered: none means the upstream variant asked nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Console.Error.WriteLine($"The webhook backend allowed {_allowed:N0} webhooks and refused {_refused:N0} with a bad signature.");
    }
}
