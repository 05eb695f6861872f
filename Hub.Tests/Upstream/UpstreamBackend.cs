using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Tests.Upstream;

/// <summary>
/// An application's backend as docs/webhooks.md tells one to write it: a minimal ASP.NET Core app
/// on 127.0.0.1 that takes <c>POST /{event}</c>, checks <c>X-Hub-Signature-256</c> with its own
/// copy of the secret (401 when it does not match), records what it got, and answers as the test
/// tells it (200 and no body by default).
/// </summary>
public sealed class UpstreamBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentDictionary<string, Func<Received, Task<IResult>>> _answers = new();

    private UpstreamBackend(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The base URL to give the node as <c>Hub:Upstream:Url</c>.</summary>
    public Uri Url { get; }

    public IReadOnlyList<Received> All => [.. _received];

    public IReadOnlyList<Received> Of(string @event) => [.. _received.Where(r => r.Event == @event)];

    public static async Task<UpstreamBackend> StartAsync(string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        UpstreamBackend? backend = null;
        app.MapPost("/hooks/{event}", async (string @event, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            var body = buffer.ToArray();
            var received = new Received(@event, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body, SignatureIsValid(secret, body, request.Headers["X-Hub-Signature-256"]), request.HttpContext.RequestAborted);
            backend!._received.Enqueue(received);
            return !received.SignatureValid ? Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: "The signature does not match.")
                : backend._answers.TryGetValue(@event, out var answer) ? await answer(received)
                : Results.Ok();
        });
        await app.StartAsync().Within();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend = new UpstreamBackend(app, new Uri(address + "/hooks"));
        return backend;
    }

    /// <summary>Forgets what it got and how to answer: a backend as new, at the same address.</summary>
    public void Reset()
    {
        _received.Clear();
        _answers.Clear();
    }

    /// <summary>How the backend answers <paramref name="event"/> from now on.</summary>
    public void On(string @event, Func<Received, Task<IResult>> answer) => _answers[@event] = answer;

    public void On(string @event, Func<Received, IResult> answer) => On(@event, r => Task.FromResult(answer(r)));

    public async Task<Received> WaitForAsync(string @event, int count = 1)
    {
        await Bounded.UntilAsync(() => Task.FromResult(Of(@event).Count >= count), $"the backend got {count} {@event} request(s)");
        return Of(@event)[count - 1];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().Within();
        await _app.DisposeAsync();
    }

    // As a backend checks it: the HMAC-SHA256 of the exact body bytes, compared in constant time.
    private static bool SignatureIsValid(string secret, byte[] body, string? header)
    {
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        return header is not null && CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }

    /// <summary>A request the backend got; <paramref name="Aborted"/> fires when Hub stops waiting for it.</summary>
    public sealed record Received(string Event, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool SignatureValid, CancellationToken Aborted)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Delivery => Headers["X-Hub-Delivery"];
    }
}
