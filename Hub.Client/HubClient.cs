using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Hub.Client.Internal;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hub.Client;

/// <summary>
/// A typed connection to Hub. It reconnects on its own (to any node), re-joins its groups,
/// resumes its streams, drops duplicates, and says when messages could not be recovered.
/// </summary>
public sealed partial class HubClient : IAsyncDisposable
{
    // Counts StopAsync calls, so a start can tell it was stopped while it waited for its resume.
    private int _stops;
    private readonly HubConnection _connection;
    private readonly ILogger _logger;
    private readonly StreamTracker _streams = new();
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
    private readonly Channel<Message> _reader;
    private readonly ResumeHold _hold = new();
    private readonly EventSubscriptions _subscriptions;

    // How PublishAsync serializes data: the web defaults, escaping only what JSON requires, so that
    // text reaches MessagePack and the size rule without a detour through escapes.
    private static readonly JsonSerializerOptions DataOptions = new(JsonSerializerOptions.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // One resume at a time, whatever started it (the first connect, a reconnect, a gap in live
    // delivery): each hands over what was held, and two must not do so at once.
    private readonly SemaphoreSlim _resuming = new(1, 1);
    private readonly HashSet<string> _gaps = new(StringComparer.Ordinal);
    private volatile bool _readerActive;

    /// <summary>Creates a client; nothing is connected until <see cref="StartAsync"/>.</summary>
    public HubClient(HubClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReaderCapacity, 1);
        var urls = options.EndpointList();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HubClient>();
        _subscriptions = new EventSubscriptions(_logger);
        _reader = Channel.CreateBounded<Message>(new BoundedChannelOptions(options.ReaderCapacity) { SingleWriter = true });

        var builder = new HubConnectionBuilder()
            .WithUrl(urls[0], http =>
            {
                http.AccessTokenProvider = options.AccessTokenProvider;
                http.HttpMessageHandlerFactory = inner => new NodeRefusalHandler(inner);
            })
            .WithAutomaticReconnect(options.ReconnectPolicy ?? JitteredBackoffPolicy.Default);
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        if (options.Protocol == HubProtocolKind.MessagePack)
        {
            builder.AddMessagePackProtocol(o => o.SerializerOptions = JsonDataFormatter.Carrying(o.SerializerOptions));
        }

        if (urls.Count > 1 || urls.Any(TcpConnectionFactory.IsTcp))
        {
            // The HTTP factory refuses an endpoint other than HttpConnectionOptions.Url, so the
            // options carry none and the endpoint (and with it HTTP or TCP) is chosen per connect.
            builder.Services.PostConfigure<HttpConnectionOptions>(o => o.Url = null);
            builder.Services.AddSingleton<EndPoint>(new UriEndPoint(urls[0]));
            builder.Services.AddSingleton<HttpConnectionFactory>();
            var tcp = new TcpConnectionFactory(options.AccessTokenProvider);
            builder.Services.AddSingleton<IConnectionFactory>(sp =>
                new FailoverConnectionFactory(sp.GetRequiredService<HttpConnectionFactory>(), tcp, urls));
        }

        options.ConfigureConnection?.Invoke(builder);
        _connection = builder.Build();

        _connection.On<Message>(nameof(IHubClient.Receive), OnReceive);
        _connection.On<PresenceEvent>(nameof(IHubClient.MemberJoined), e => MemberJoined?.Invoke(e));
        _connection.On<PresenceEvent>(nameof(IHubClient.MemberLeft), e => MemberLeft?.Invoke(e));
        _connection.Reconnecting += error =>
        {
            // From the next connection on, messages wait until the resume has replayed the gap.
            _hold.Begin();

            Reconnecting?.Invoke(error);
            return Task.CompletedTask;
        };
        _connection.Reconnected += OnReconnectedAsync;
        _connection.Closed += error =>
        {
            // A connection that closed mid-resume leaves nothing held back but what follows a gap,
            // which the next start resumes.
            ReleaseHeld(liveConnectionId: null);
            Closed?.Invoke(error);
            return Task.CompletedTask;
        };
    }

    /// <summary>A message arrived (each message once, in stream order).</summary>
    public event Action<Message>? MessageReceived;

    /// <summary>Someone joined a group this client is in.</summary>
    public event Action<PresenceEvent>? MemberJoined;

    /// <summary>Someone left a group this client is in.</summary>
    public event Action<PresenceEvent>? MemberLeft;

    /// <summary>The connection was lost and the client is reconnecting; the argument is the cause, if known.</summary>
    public event Action<Exception?>? Reconnecting;

    /// <summary>The client reconnected, re-joined its groups and resumed its streams; the argument is the new connection id.</summary>
    public event Action<string?>? Reconnected;

    /// <summary>The connection closed for good (stopped, reconnect given up, or closed by the server without reconnect).</summary>
    public event Action<Exception?>? Closed;

    /// <summary>Messages of these streams were lost: history could not cover a reconnect gap, or a reader fell behind.</summary>
    public event Action<IReadOnlyList<string>>? MessagesLost;

    /// <summary>The current connection id (it changes on every reconnect), or null when not connected.</summary>
    public string? ConnectionId => _connection.ConnectionId;

    /// <summary>The connection state.</summary>
    public HubConnectionState State => _connection.State;

    /// <summary>Connects, then asks for the positions of the implicit streams so a later gap can be detected.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var stops = Volatile.Read(ref _stops);
        await _connection.StartAsync(cancellationToken);
        var connectionId = _connection.ConnectionId;
        ObserveOwnStream(connectionId);
        await _resuming.WaitAsync(cancellationToken);
        try
        {
            // What came before the positions were known is delivered first, so that taking them
            // cannot make those messages look old.
            await ResumeAndReleaseAsync([], connectionId, cancellationToken);
        }
        finally
        {
            _resuming.Release();
        }

        // A stop while the start waited for its resume: the client did not start.
        if (Volatile.Read(ref _stops) != stops)
        {
            throw new InvalidOperationException("The client was stopped before its start was done.");
        }
    }

    /// <summary>Disconnects; the client may be started again.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _stops);
        return _connection.StopAsync(cancellationToken);
    }

    /// <inheritdoc cref="IHubServer.Publish"/>
    /// <exception cref="ArgumentException">The data is not one a message can carry (missing, null, too deep, or a number MessagePack would change).</exception>
    public Task<SendResult> PublishAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (JsonData.Check(request.Data, out _) is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        return _connection.InvokeAsync<SendResult>(nameof(IHubServer.Publish), request, cancellationToken);
    }

    /// <summary>
    /// Publishes <paramref name="data"/>, serialized by System.Text.Json with its web defaults
    /// (camelCase), as <paramref name="event"/> to the stream <paramref name="to"/>: <c>all</c>,
    /// <c>group:{name}</c>, <c>user:{id}</c> or <c>connection:{id}</c>. Recipients read it with
    /// <see cref="Message.GetData{T}"/> or <see cref="On{T}(string, Action{T})"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The data is not one a message can carry (null, too deep, or a number MessagePack would change).</exception>
    public Task<SendResult> PublishAsync<T>(string to, string @event, T data, CancellationToken cancellationToken = default) =>
        PublishAsync(new PublishRequest { To = to, Event = @event, Data = JsonSerializer.SerializeToElement(data, DataOptions) }, cancellationToken);

    /// <summary>
    /// Calls <paramref name="handler"/> with the data of each message of <paramref name="event"/>,
    /// read as a <typeparamref name="T"/> (<see cref="Message.GetData{T}"/>), once, in stream order,
    /// right after <see cref="MessageReceived"/>. A message whose data is not a <typeparamref name="T"/>
    /// is logged and skipped. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable On<T>(string @event, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On<T>(@event, (data, _) => handler(data));
    }

    /// <summary>As <see cref="On{T}(string, Action{T})"/>, with the message itself (its sender, stream and offset) beside the data.</summary>
    public IDisposable On<T>(string @event, Action<T, Message> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(handler);
        return _subscriptions.Add(@event, handler);
    }

    /// <summary>
    /// Calls the application's method <paramref name="method"/> (<see cref="IHubServer.Call"/>) with
    /// <paramref name="data"/>, serialized as <see cref="PublishAsync{T}"/> serializes data (web
    /// defaults: camelCase; a <see cref="JsonElement"/> as it is), and reads the application's answer
    /// as a <typeparamref name="TResult"/> the same way (<see cref="JsonElement"/> for the answer as it is).
    /// A refusal, or a handler that failed, fails the call with a <c>HubException</c> saying so.
    /// </summary>
    /// <exception cref="ArgumentException">The data is not one a call can carry (too deep, or a number MessagePack would change).</exception>
    /// <exception cref="JsonException">The answer is not a <typeparamref name="TResult"/>.</exception>
    public async Task<TResult?> CallAsync<TResult>(string method, object? data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        var element = JsonSerializer.SerializeToElement(data, DataOptions);
        if (element.ValueKind != JsonValueKind.Null && JsonData.Check(element, out _) is { } problem)
        {
            throw new ArgumentException(problem, nameof(data));
        }

        var result = await _connection.InvokeAsync<JsonElement>(nameof(IHubServer.Call), method, element, cancellationToken);
        return result.Deserialize<TResult>(DataOptions);
    }

    /// <inheritdoc cref="IHubServer.Send"/>
    public Task<SendResult> SendAsync(string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.Send), text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToConnection"/>
    public Task<SendResult> SendToConnectionAsync(string connectionId, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToConnection), connectionId, text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToUser"/>
    public Task<SendResult> SendToUserAsync(string userId, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToUser), userId, text, cancellationToken);

    /// <inheritdoc cref="IHubServer.SendToGroup"/>
    public Task<SendResult> SendToGroupAsync(string group, string text, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<SendResult>(nameof(IHubServer.SendToGroup), group, text, cancellationToken);

    /// <summary>Joins a group; the client re-joins it by itself after every reconnect until <see cref="LeaveAsync"/>.</summary>
    public async Task<JoinResult> JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        var result = await _connection.InvokeAsync<JoinResult>(nameof(IHubServer.Join), group, cancellationToken);
        lock (_groups)
        {
            _groups.Add(group);
        }

        _streams.Observe(GroupStream(group), result.Epoch, result.Offset, overwrite: false);
        return result;
    }

    /// <inheritdoc cref="IHubServer.Leave"/>
    public async Task LeaveAsync(string group, CancellationToken cancellationToken = default)
    {
        await _connection.InvokeAsync(nameof(IHubServer.Leave), group, cancellationToken);
        lock (_groups)
        {
            _groups.Remove(group);
        }

        _streams.Forget(GroupStream(group));
    }

    /// <inheritdoc cref="IHubServer.Resume"/>
    public Task<ResumeResult> ResumeAsync(ResumeRequest request, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<ResumeResult>(nameof(IHubServer.Resume), request, cancellationToken);

    /// <inheritdoc cref="IHubServer.GetPresence"/>
    public Task<PresenceSnapshot> GetPresenceAsync(string? group = null, CancellationToken cancellationToken = default) =>
        _connection.InvokeAsync<PresenceSnapshot>(nameof(IHubServer.GetPresence), group, cancellationToken);

    /// <summary>
    /// The messages <see cref="MessageReceived"/> sees, as an async stream from a bounded buffer
    /// (<see cref="HubClientOptions.ReaderCapacity"/>), buffered from the first call on. A reader
    /// that falls further behind loses messages and is told through <see cref="MessagesLost"/>.
    /// </summary>
    public async IAsyncEnumerable<Message> ReadMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _readerActive = true;
        while (await _reader.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_reader.Reader.TryRead(out var message))
            {
                yield return message;
            }
        }
    }

    /// <summary>Disconnects and releases the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _reader.Writer.TryComplete();
        await _connection.DisposeAsync();
    }

    private static string GroupStream(string group) => "group:" + group;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Re-joining group {Group} after a reconnect failed.")]
        public static partial void RejoinFailed(ILogger logger, string group, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Resuming streams failed; the messages missed while disconnected cannot be recovered.")]
        public static partial void ResumeFailed(ILogger logger, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Replayed messages had not all arrived {Seconds} s after the resume returned; delivering what did.")]
        public static partial void ReplayIncomplete(ILogger logger, double seconds);

        [LoggerMessage(3, LogLevel.Warning, "The message reader fell more than its capacity behind; a message of stream {Stream} was dropped.")]
        public static partial void ReaderOverflow(ILogger logger, string stream);

        [LoggerMessage(5, LogLevel.Information, "Live delivery skipped messages of {Streams}; resuming them before going on.")]
        public static partial void GapInLiveDelivery(ILogger logger, string streams);
    }
}
