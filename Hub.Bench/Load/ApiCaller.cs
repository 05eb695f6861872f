using System.Net;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A backend service sending through the HTTP API (<c>POST /api/v1/messages</c>, a broadcast)
/// instead of a hub connection: a publish is one request, its answer (202, or the problem the
/// node sent) arrives as the Ack of that publish. Every caller shares one
/// <see cref="HttpClient"/>, so the callers' requests spread over its pooled keep-alive
/// connections like a real backend's would. It receives nothing: it is not a hub connection.
/// </summary>
internal sealed class ApiCaller : ILoadSocket
{
    /// <summary>The API key the bench's nodes accept (<c>Hub:Api:Keys</c>).</summary>
    public const string Key = "hub-bench";

    private const string Route = "/api/v1/messages";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        // Loopback only, never through a proxy; no cookies.
        UseProxy = false,
        UseCookies = false,
    })
    {
        Timeout = CallTimeout,
        DefaultRequestVersion = HttpVersion.Version11,
    };

    private readonly Uri _url;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<LoadEventHandler> _handler = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ApiCaller(Uri url) => _url = url;

    /// <summary>Callers of the node whose hub is at <paramref name="hub"/> (http://host:port/hub).</summary>
    public static Endpoint EndpointOf(Endpoint hub) => new(new Uri(hub.Url, Route), Protocol.Instance);

    public Task PublishAsync(long id, string text, CancellationToken cancellationToken)
    {
        // The call runs on; its answer comes back as an Ack, as a hub invocation's completion does.
        _ = CallAsync(id, text);
        return Task.CompletedTask;
    }

    public async Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken)
    {
        _handler.TrySetResult(handle);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    // Not disposed: calls still running read its token.
    public async ValueTask DisposeAsync() => await _closing.CancelAsync();

    private async Task CallAsync(long id, string text)
    {
        string? error;
        try
        {
            // The bench's texts are digits, colons and 'x': nothing to escape in JSON.
            using var body = new StringContent($"{{\"text\":\"{text}\"}}", Encoding.UTF8, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = body };
            request.Headers.Add("X-Api-Key", Key);
            using var response = await Http.SendAsync(request, _closing.Token);
            error = response.StatusCode == HttpStatusCode.Accepted
                ? null
                : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(_closing.Token)}";
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            error = $"{ex.GetType().Name}: {ex.Message}";
        }

        Answer(await _handler.Task.WaitAsync(CallTimeout), id, error);
    }

    private static void Answer(LoadEventHandler handle, long id, string? error) => handle(new LoadEvent(LoadEventKind.Ack, id: id, error: error));

    private sealed class Protocol : ILoadProtocol
    {
        public static readonly Protocol Instance = new();

        public string Name => "http api";

        public Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken) =>
            Task.FromResult<ILoadSocket>(new ApiCaller(endpoint));
    }
}
