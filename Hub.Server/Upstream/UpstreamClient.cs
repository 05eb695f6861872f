using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Hub.Server.Upstream;

/// <summary>
/// Posts one event to the backend, signed, and sorts its answer into the contract's outcomes. Its
/// <see cref="HttpClient"/> comes from the factory with the resilience pipeline of
/// <see cref="UpstreamServiceCollectionExtensions"/>: the timeout, the circuit breaker and the
/// retries of <c>disconnect</c> happen beneath this class, which sees only their end.
/// </summary>
internal sealed partial class UpstreamClient(IHttpClientFactory clients, IOptions<UpstreamOptions> options, UpstreamMetrics metrics, TimeProvider time, ILogger<UpstreamClient> logger)
{
    public const string HttpClientName = "Hub.Upstream";

    public const string EventHeader = "X-Hub-Event";
    public const string DeliveryHeader = "X-Hub-Delivery";
    public const string SignatureHeader = "X-Hub-Signature-256";

    // A refusal's reason goes to the client: a page of text at most, not whatever the backend sent.
    private const int MaxReasonLength = 1000;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.Secret ?? "");
    private readonly int _timeoutSeconds = options.Value.TimeoutSeconds;

    /// <summary>
    /// The answer to <paramref name="event"/> with <paramref name="body"/>. Never throws for what the
    /// backend does or fails to do; only for <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<UpstreamAnswer> PostAsync(string @event, byte[] body, string connectionId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(@event, UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.Add(EventHeader, @event);
        // One id per event, kept by its retries, so that a backend can tell a retry from a new event.
        request.Headers.Add(DeliveryHeader, Guid.CreateVersion7().ToString());
        request.Headers.Add(SignatureHeader, Sign(body));
        var started = time.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var status = (int)response.StatusCode;
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            switch (status)
            {
                case >= 200 and < 300:
                    return new UpstreamAnswer(UpstreamOutcome.Allowed, content);
                case >= 400 and < 500:
                    var reason = RefusalReason(status, content);
                    Log.Refused(logger, @event, connectionId, status, reason);
                    return new UpstreamAnswer(UpstreamOutcome.Refused, Reason: reason);
                case >= 500:
                    Log.ServerError(logger, @event, connectionId, status);
                    return new UpstreamAnswer(UpstreamOutcome.Unavailable, Reason: UpstreamAnswer.UnavailableReason);
                default:
                    Log.UnexpectedStatus(logger, @event, connectionId, status);
                    return new UpstreamAnswer(UpstreamOutcome.Invalid, Reason: UpstreamAnswer.InvalidReason);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException)
        {
            Log.TimedOut(logger, @event, connectionId, _timeoutSeconds);
        }
        catch (BrokenCircuitException)
        {
            Log.CircuitOpen(logger, @event, connectionId);
        }
        catch (HttpRequestException ex)
        {
            Log.Unreachable(logger, @event, connectionId, ex.Message);
        }
        finally
        {
            metrics.Took(@event, time.GetElapsedTime(started));
        }

        return new UpstreamAnswer(UpstreamOutcome.Unavailable, Reason: UpstreamAnswer.UnavailableReason);
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of exactly the bytes sent, keyed with the secret.</summary>
    public string Sign(ReadOnlySpan<byte> body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, body));

    // A problem's detail (RFC 9457), else its title, else the body as text, else the status.
    private static string RefusalReason(int status, byte[] content)
    {
        var text = Encoding.UTF8.GetString(content).Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var problem = JsonDocument.Parse(content);
                foreach (var name in (ReadOnlySpan<string>)["detail", "title"])
                {
                    if (problem.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()))
                    {
                        return Clip(value.GetString()!.Trim());
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: its text is the reason.
            }
        }

        return text.Length > 0 ? Clip(text) : $"refused by the application ({status})";
    }

    private static string Clip(string reason) => reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength] + "…";

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Upstream refused {Event} of connection {ConnectionId} with {Status}: {Reason}")]
        public static partial void Refused(ILogger logger, string @event, string connectionId, int status, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Upstream answered {Event} of connection {ConnectionId} with {Status}: counted as unavailable.")]
        public static partial void ServerError(ILogger logger, string @event, string connectionId, int status);

        [LoggerMessage(3, LogLevel.Warning, "Upstream answered {Event} of connection {ConnectionId} with {Status}, neither 2xx nor 4xx: refused (is Hub:Upstream:Url the backend's address?).")]
        public static partial void UnexpectedStatus(ILogger logger, string @event, string connectionId, int status);

        [LoggerMessage(4, LogLevel.Warning, "Upstream did not answer {Event} of connection {ConnectionId} within {Seconds} s (Hub:Upstream:TimeoutSeconds).")]
        public static partial void TimedOut(ILogger logger, string @event, string connectionId, int seconds);

        [LoggerMessage(5, LogLevel.Debug, "Upstream not asked about {Event} of connection {ConnectionId}: its circuit is open after repeated failures.")]
        public static partial void CircuitOpen(ILogger logger, string @event, string connectionId);

        [LoggerMessage(6, LogLevel.Warning, "Upstream could not be reached for {Event} of connection {ConnectionId}: {Error}")]
        public static partial void Unreachable(ILogger logger, string @event, string connectionId, string error);
    }
}
