using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Testing;

/// <summary>
/// An application's backend for Hub's webhooks (docs/webhooks.md), on 127.0.0.1: a minimal ASP.NET
/// Core app that takes <c>POST {Url}/{event}</c>, checks <c>X-Hub-Signature-256</c> with its own copy
/// of the secret (a 401 problem when it does not match), and answers as it is told: a 204 by
/// default. The tests record what it got; the bench only counts.
/// </summary>
internal sealed class WebhookBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _record;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentDictionary<string, Func<Received, Task<IResult>>> _answers = new();
    private long _allowed;
    private long _badSignatures;

    private WebhookBackend(WebApplication app, bool record)
    {
        _app = app;
        _record = record;
    }

    /// <summary>The base URL to give a node as <c>Hub:Upstream:Url</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Requests whose signature matched.</summary>
    public long Allowed => Interlocked.Read(ref _allowed);

    /// <summary>Requests refused for their signature.</summary>
    public long BadSignatures => Interlocked.Read(ref _badSignatures);

    public IReadOnlyList<Received> All => [.. _received];

    public IReadOnlyList<Received> Of(string @event) => [.. _received.Where(r => r.Event == @event)];

    /// <summary>Starts it on <paramref name="port"/> (0: a free one); <paramref name="record"/> false keeps nothing but counts.</summary>
    public static async Task<WebhookBackend> StartAsync(string secret, int port = 0, bool record = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var backend = new WebhookBackend(builder.Build(), record);
        var key = Encoding.UTF8.GetBytes(secret);
        backend._app.MapPost("/hooks/{event}", async (string @event, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            var body = buffer.ToArray();
            var received = new Received(@event, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body, SignatureIsValid(key, body, request.Headers["X-Hub-Signature-256"]), request.HttpContext.RequestAborted);
            if (backend._record)
            {
                backend._received.Enqueue(received);
            }

            if (!received.SignatureValid)
            {
                Interlocked.Increment(ref backend._badSignatures);
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: "The signature does not match.");
            }

            Interlocked.Increment(ref backend._allowed);
            return backend._answers.TryGetValue(@event, out var answer) ? await answer(received) : Results.NoContent();
        });
        await backend._app.StartAsync();
        var address = backend._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Url = new Uri(address + "/hooks");
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // As a backend checks it: the HMAC-SHA256 of the exact body bytes, compared in constant time.
    private static bool SignatureIsValid(byte[] key, byte[] body, string? header)
    {
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, body)));
        return header is not null && CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }

    /// <summary>A request the backend got; <paramref name="Aborted"/> fires when Hub stops waiting for it.</summary>
    public sealed record Received(string Event, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool SignatureValid, CancellationToken Aborted)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Delivery => Headers["X-Hub-Delivery"];
    }
}
